/** What the pages read: the store, the daemon's health, and the automation preview handed in by `serve`. */
import type { EvaluationRequest, EvaluationResult } from "../../policy/index.js";
import type { Store } from "../../store/index.js";
import type { Readiness } from "../health.js";

export interface AutomationPreview {
  diff: string;
  /** null: nothing would change. */
  message: string | null;
}

export interface PageDeps {
  store: Store;
  readiness(): Promise<Readiness>;
  queueDepth(): number;
  /** The diff and message a run of this ImageUpdateAutomation would make now (a dry run). */
  preview?(namespace: string, name: string): Promise<AutomationPreview>;
  /**
   * Runs a policy evaluation as the daemon does (its worker pool, so a slow pattern never holds
   * the listener's loop); absent: in this thread, still under `policyTimeoutMs`.
   */
  evaluatePolicy?(request: EvaluationRequest, tags: readonly string[]): Promise<EvaluationResult>;
  /** The daemon's `--policy-timeout`; absent: the default. */
  policyTimeoutMs?: number;
  /** The patch of this automation's last pushed commit (`git show`), when its clone still has it. */
  lastPushPatch?(namespace: string, name: string): Promise<string | undefined>;
}
