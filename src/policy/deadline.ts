import type { SelectionCounts } from "./errors.js";
import type { TagSelector } from "./select.js";

/**
 * A time limit on one policy evaluation. Why it is checked between tags: with V8's linear engine
 * as the fallback for runaway backtracking (regex/v8-linear.ts) every single match is bounded, but
 * a pattern such as `(a+)+b` still costs ~0.3 ms per 30-character tag, 31 s over 100,000 tags.
 * Checking the clock every few tags stops such an evaluation within milliseconds of its limit;
 * the daemon also runs evaluations in worker threads it can terminate (src/controller/policy-pool.ts),
 * so that even a stuck single match cannot hold its event loop.
 */

/**
 * How long one selection may take unless the user says otherwise (`serve`/`run`/`policy test`
 * `--policy-timeout`). A normal policy over 100,000 tags takes ~0.1 s and over 1,000,000 ~1 s
 * here; a pattern that backtracks on every tag takes 30 s and more over 100,000.
 */
export const DEFAULT_POLICY_TIMEOUT_MS = 5_000;

/** Tags between two looks at the clock: ~20 ms apart at the slowest per-tag cost measured. */
const CHECK_EVERY = 64;

/** The evaluation went over its time limit; `counts` tell how far it got. */
export class PolicyDeadlineError extends Error {
  override name = "PolicyDeadlineError";
  constructor(
    message: string,
    readonly elapsedMs: number,
    readonly limitMs: number,
    readonly counts: SelectionCounts | undefined,
  ) {
    super(message);
  }
}

/** What the message of a stopped evaluation names: the pattern at fault and how far it got. */
export interface DeadlineFacts {
  limitMs: number;
  elapsedMs: number;
  /** filterTags.pattern, if any (the usual culprit). */
  pattern: string | undefined;
  /** Tags the evaluation had read when it stopped, if known. */
  read: number | undefined;
  /** Tags it was given, when known in advance (not for a stream). */
  total: number | undefined;
}

/** One wording for every place an evaluation is stopped (worker, inline, `policy test`). */
export function deadlineMessage(f: DeadlineFacts): string {
  const of = f.total === undefined ? "" : ` of ${f.total}`;
  const progress = f.read === undefined ? `${f.total ?? "?"} tags` : `${f.read}${of} tags read`;
  const pattern = f.pattern ? ` with filterTags.pattern '${f.pattern}'` : "";
  return `policy evaluation stopped after ${seconds(f.elapsedMs)} (limit ${seconds(f.limitMs)}; ${progress})${pattern}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/**
 * `selector` with a clock: `add` throws PolicyDeadlineError once `limitMs` have passed since
 * `startedAt` (performance.now() time).
 */
export function withDeadline(
  selector: TagSelector,
  opts: {
    limitMs: number;
    startedAt: number;
    total: number | undefined;
    pattern: string | undefined;
  },
): TagSelector {
  const { add } = selector;
  const stopAt = opts.startedAt + opts.limitMs;
  let untilCheck = CHECK_EVERY;
  return {
    add(tag, ascii) {
      if (--untilCheck === 0) {
        untilCheck = CHECK_EVERY;
        const now = performance.now();
        if (now >= stopAt) {
          const counts = selector.counts;
          const elapsedMs = now - opts.startedAt;
          throw new PolicyDeadlineError(
            deadlineMessage({
              limitMs: opts.limitMs,
              elapsedMs,
              pattern: opts.pattern,
              read: counts.read,
              total: opts.total,
            }),
            elapsedMs,
            opts.limitMs,
            counts,
          );
        }
      }
      add(tag, ascii);
    },
    counts: selector.counts,
    finish: () => selector.finish(),
  };
}
