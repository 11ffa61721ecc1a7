/**
 * Why a policy picks the tag it picks: the counts at each step, the ranked candidates with the
 * values the policy compared, and the rejected tags by reason. One model for every reader:
 * `imagectl policy test` prints it (explain-text.ts), the dashboard's policy page renders it.
 */
import type { Policy } from "./build.js";
import { NoSelectableTagError, type SelectionCounts } from "./errors.js";
import { REJECT_REASON_TEXT } from "./explain-text.js";
import { createTagSelector, type RejectReason, type SelectOptions } from "./select.js";
import type { Candidate } from "./top-n.js";

export interface RejectedGroup {
  reason: RejectReason;
  text: string;
  count: number;
  /** The first few tags rejected for this reason, in list order. */
  examples: string[];
}

export interface Explanation {
  /** Absent when no tag could be selected (then `error` says why, in Flux's words). */
  latest?: string;
  value?: string;
  /** Best first; candidates[0] is the winner. */
  candidates: Candidate[];
  counts?: SelectionCounts;
  rejected: RejectedGroup[];
  error?: string;
}

export interface ExplainOptions extends Omit<SelectOptions, "onReject"> {
  /** Example tags kept per reason (default 5). */
  examples?: number;
}

/** Runs the selection over `tags` and keeps what is needed to explain it. */
export function explainSelection(
  policy: Policy,
  tags: Iterable<string>,
  opts: ExplainOptions = {},
): Explanation {
  const keep = opts.examples ?? 5;
  const groups = new Map<RejectReason, RejectedGroup>();
  const onReject = (tag: string, reason: RejectReason): void => {
    let g = groups.get(reason);
    if (!g) {
      g = { reason, text: REJECT_REASON_TEXT[reason], count: 0, examples: [] };
      groups.set(reason, g);
    }
    g.count++;
    if (g.examples.length < keep) g.examples.push(tag);
  };
  const selector = createTagSelector(policy, { top: opts.top, exclude: opts.exclude, onReject });
  for (const tag of tags) selector.add(tag);
  const order: RejectReason[] = ["excluded", "noMatch", "notSemver", "outOfRange", "notNumeric"];
  const rejected = () => order.flatMap((r) => groups.get(r) ?? []);
  try {
    const s = selector.finish();
    return {
      latest: s.latest,
      value: s.value,
      candidates: s.candidates,
      counts: s.counts,
      rejected: rejected(),
    };
  } catch (err) {
    if (!(err instanceof NoSelectableTagError)) throw err;
    return {
      candidates: [],
      ...(err.counts && { counts: err.counts }),
      rejected: rejected(),
      error: err.message,
    };
  }
}
