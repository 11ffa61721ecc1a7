/**
 * Why a policy picks the tag it picks: the counts at each step, the ranked candidates with the
 * values the policy compared, and the rejected tags by reason. One model for every reader:
 * `imagectl policy test` prints it (explain-text.ts), the dashboard's policy page renders it.
 * The selection itself runs in evaluatePolicy (evaluate.ts), under its time limit and in the
 * daemon's worker pool, which collects the rejected tags when the request asks (`explain`).
 */
import type { SelectionCounts } from "./errors.js";
import type { EvaluationResult } from "./evaluate.js";
import { REJECT_REASON_TEXT } from "./explain-text.js";
import type { RejectReason } from "./select.js";
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

const ORDER: RejectReason[] = ["excluded", "noMatch", "notSemver", "outOfRange", "notNumeric"];

/** Counts rejected tags by reason, keeping the first `keep` of each as examples. */
export function rejectCollector(keep: number): {
  onReject(tag: string, reason: RejectReason): void;
  groups(): RejectedGroup[];
} {
  const groups = new Map<RejectReason, RejectedGroup>();
  return {
    onReject(tag, reason) {
      let g = groups.get(reason);
      if (!g) {
        g = { reason, text: REJECT_REASON_TEXT[reason], count: 0, examples: [] };
        groups.set(reason, g);
      }
      g.count++;
      if (g.examples.length < keep) g.examples.push(tag);
    },
    groups: () => ORDER.flatMap((r) => groups.get(r) ?? []),
  };
}

/**
 * The explanation of an evaluation made with `explain` set. An invalid spec or a selection cut
 * off at its time limit has none: the caller shows the failure's message.
 */
export function explanationOf(result: EvaluationResult): Explanation | undefined {
  if (result.ok) {
    const s = result.selection;
    return {
      latest: s.latest,
      value: s.value,
      candidates: s.candidates,
      counts: s.counts,
      rejected: result.rejected ?? [],
    };
  }
  const f = result.failure;
  if (f.kind !== "no-selectable-tag") return undefined;
  return {
    candidates: [],
    ...(f.counts && { counts: f.counts }),
    rejected: f.rejected ?? [],
    error: f.message,
  };
}
