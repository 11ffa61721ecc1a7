import pLimit from "p-limit";
import { type ObjectId, objectIdOf } from "../api/object-id.js";
import type { Kind } from "../api/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { reconcileObject } from "./reconcile.js";

export interface RunOnceEntry {
  key: ObjectId;
  outcome: ReconcileOutcome;
}

export interface RunOnceSummary {
  entries: RunOnceEntry[];
  notReady: number;
}

/** Order matters: tags before the policies reading them, policies before the automations writing them. */
const PHASES: Kind[] = ["ImageRepository", "ImagePolicy", "ImageUpdateAutomation"];

/**
 * `imagectl run --once`: every object reconciled once, as if its interval had elapsed,
 * in dependency order, with bounded concurrency inside each phase.
 */
export async function runOnce(
  deps: ControllerDeps,
  opts: { concurrency?: number; namespace?: string; onResult?: (e: RunOnceEntry) => void } = {},
): Promise<RunOnceSummary> {
  const entries: RunOnceEntry[] = [];
  for (const kind of PHASES) {
    const objs = await deps.store.list(kind, opts.namespace ? { namespace: opts.namespace } : undefined);
    const keys: ObjectId[] = objs.map(objectIdOf);
    // Automations share git clones per GitRepository: run them one at a time.
    const limit = kind === "ImageUpdateAutomation" ? 1 : (opts.concurrency ?? 8);
    const limited = pLimit(limit);
    await limited.map(keys, async (key) => {
      let outcome: ReconcileOutcome | undefined;
      try {
        outcome = await reconcileObject(deps, key, { force: kind === "ImageRepository" });
      } catch (err) {
        outcome = {
          ready: false,
          stalled: false,
          failed: true,
          message: err instanceof Error ? err.message : String(err),
        };
      }
      if (!outcome) return;
      const entry = { key, outcome };
      entries.push(entry);
      opts.onResult?.(entry);
    });
  }
  return { entries, notReady: entries.filter((e) => !e.outcome.ready && !e.outcome.suspended).length };
}
