import pLimit from "p-limit";
import { type ObjectId, objectIdOf } from "../api/object-id.js";
import type { Kind } from "../api/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import { DigestFactPruner, type SweepTotals } from "./digest-fact-pruner.js";
import type { ReconcileOutcome } from "./outcome.js";
import { reconcileObject } from "./reconcile.js";
import { syncPathOf } from "./source-sync-labels.js";

export interface RunOnceEntry {
  key: ObjectId;
  outcome: ReconcileOutcome;
}

export interface RunOnceSummary {
  entries: RunOnceEntry[];
  notReady: number;
  /** The fact cache's sweep after the phases, or why it failed (the run's results stand). */
  factSweep: SweepTotals | { error: string };
}

/** What `run --once` watchers are told as the run goes (the CLI's progress line). */
export interface RunOnceWatch {
  /** Every object the run will reconcile is known: how many. */
  onPlanned?: (total: number) => void;
  onStart?: (key: ObjectId) => void;
  onResult?: (entry: RunOnceEntry) => void;
}

/** Order matters: tags before the policies reading them, policies before the automations writing them. */
const PHASES: Kind[] = ["ImageRepository", "ImagePolicy", "ImageUpdateAutomation"];

/** What makes `run --once` exit 1: a result that is not Ready, unless the object is suspended. */
export function isNotReady(outcome: ReconcileOutcome): boolean {
  return !outcome.ready && !outcome.suspended;
}

async function runOne(
  deps: ControllerDeps,
  key: ObjectId,
  watch: RunOnceWatch,
  entries: RunOnceEntry[],
  force: boolean,
): Promise<void> {
  watch.onStart?.(key);
  let outcome: ReconcileOutcome | undefined;
  try {
    outcome = await reconcileObject(deps, key, { force });
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
  watch.onResult?.(entry);
}

/**
 * `imagectl run --once`: every object reconciled once, as if its interval had elapsed,
 * in dependency order, with bounded concurrency inside each phase.
 */
export async function runOnce(
  deps: ControllerDeps,
  opts: { concurrency?: number; namespace?: string } & RunOnceWatch = {},
): Promise<RunOnceSummary> {
  const phases: { kind: Kind; keys: ObjectId[] }[] = [];
  // Bootstrapped sources first: their sync creates, changes and prunes the objects the phases run.
  const synced = (
    await deps.store.list("GitRepository", opts.namespace ? { namespace: opts.namespace } : undefined)
  )
    .filter((r) => syncPathOf(r) !== undefined)
    .map(objectIdOf);
  const entries: RunOnceEntry[] = [];
  if (synced.length) opts.onPlanned?.(synced.length);
  for (const key of synced) await runOne(deps, key, opts, entries, false);
  for (const kind of PHASES) {
    const objs = await deps.store.list(kind, opts.namespace ? { namespace: opts.namespace } : undefined);
    phases.push({ kind, keys: objs.map(objectIdOf) });
  }
  opts.onPlanned?.(synced.length + phases.reduce((n, p) => n + p.keys.length, 0));
  for (const { kind, keys } of phases) {
    // Automations share git clones per GitRepository: run them one at a time.
    const limit = kind === "ImageUpdateAutomation" ? 1 : (opts.concurrency ?? 8);
    const limited = pLimit(limit);
    await limited.map(keys, (key) => runOne(deps, key, opts, entries, kind === "ImageRepository"));
  }
  // A scheduled `run --once` is the only process such a home has: the cache is kept bounded here.
  // After the phases, so the repositories' digests resolved by this run count as referenced.
  let factSweep: RunOnceSummary["factSweep"];
  try {
    factSweep = await new DigestFactPruner(deps.store, { now: () => deps.now() }).sweep();
  } catch (err) {
    factSweep = { error: err instanceof Error ? err.message : String(err) };
  }
  return { entries, notReady: entries.filter((e) => isNotReady(e.outcome)).length, factSweep };
}
