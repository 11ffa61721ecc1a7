/**
 * One policy evaluation as data in, data out: what crosses a worker thread's message port
 * (structured clone) must be plain objects, and an evaluation run in the caller's thread answers
 * in the same shape, so callers handle one result whichever way it ran. New selection inputs
 * (per-tag data, more policy fields) go into EvaluationRequest as plain fields.
 */
import { buildPolicy, type PolicyChoice, type PolicyExtensions, type TagFilterSpec } from "./build.js";
import { PolicyDeadlineError, withDeadline } from "./deadline.js";
import { NoSelectableTagError, PolicySpecError, type SelectionCounts } from "./errors.js";
import { compileExclusionList } from "./exclusion.js";
import { type RejectedGroup, rejectCollector } from "./explain.js";
import { createTagSelector, type Selection } from "./select.js";

export interface EvaluationRequest {
  /** The ImagePolicy's `spec.policy`, as stored. */
  policy: PolicyChoice;
  /** Its `spec.filterTags`. */
  filterTags?: TagFilterSpec;
  /** imagectl's opt-in ordering rules (docs/selection.md), e.g. natural pre-release order. */
  extensions?: PolicyExtensions;
  /**
   * Patterns whose matches are dropped first (`policy test --exclusion-list`); absent: none (an
   * ImageRepository's list is applied when it scans, so stored tags are already filtered).
   */
  exclusionList?: readonly string[];
  /** Ranked candidates to return (default 10). */
  top?: number;
  /** How long the evaluation may take, in milliseconds; absent: no limit. */
  limitMs?: number;
  /** Collect the rejected tags by reason, with this many examples each (explain.ts). */
  explain?: { examples: number };
}

export type EvaluationFailure =
  /** The spec is invalid (Flux: Stalled, InvalidPolicy); `field` names the spec field. */
  | { kind: "invalid-spec"; field: string; message: string }
  /** Valid, but nothing can be selected (Flux wording). */
  | {
      kind: "no-selectable-tag";
      message: string;
      counts: SelectionCounts | undefined;
      /** With `explain`: why each tag fell out. */
      rejected?: RejectedGroup[];
    }
  /** Over its time limit (deadline.ts). */
  | {
      kind: "deadline";
      message: string;
      elapsedMs: number;
      limitMs: number;
      counts: SelectionCounts | undefined;
    };

export type EvaluationResult =
  | {
      ok: true;
      selection: Selection;
      /** Which engine ran filterTags.pattern on ASCII tags (re2js: the linear V8 engine was off). */
      filterEngine: "v8" | "re2js" | undefined;
      /** With `explain`: why the other tags fell out. */
      rejected?: RejectedGroup[];
    }
  | { ok: false; failure: EvaluationFailure };

/**
 * Builds the policy and selects over `tags`, stopping at `request.limitMs` (counted from
 * `startedAt`, a performance.now() time, default now). Never throws for bad input or a slow
 * pattern: those are failures in the result.
 */
export function evaluatePolicy(
  request: EvaluationRequest,
  tags: readonly string[],
  startedAt = performance.now(),
): EvaluationResult {
  try {
    const policy = buildPolicy(request.policy, request.filterTags, request.extensions);
    const exclude = request.exclusionList ? compileExclusionList(request.exclusionList) : undefined;
    const collector = request.explain ? rejectCollector(request.explain.examples) : undefined;
    let selector = createTagSelector(policy, {
      ...(request.top === undefined ? {} : { top: request.top }),
      ...(exclude ? { exclude } : {}),
      ...(collector ? { onReject: collector.onReject } : {}),
    });
    if (request.limitMs !== undefined) {
      selector = withDeadline(selector, {
        limitMs: request.limitMs,
        startedAt,
        total: tags.length,
        pattern: request.filterTags?.pattern || undefined,
      });
    }
    const add = selector.add;
    for (const tag of tags) add(tag);
    try {
      const selection = selector.finish();
      return {
        ok: true,
        selection,
        filterEngine: policy.filter?.regex.engine,
        ...(collector ? { rejected: collector.groups() } : {}),
      };
    } catch (err) {
      if (collector && err instanceof NoSelectableTagError) {
        return {
          ok: false,
          failure: {
            kind: "no-selectable-tag",
            message: err.message,
            counts: err.counts,
            rejected: collector.groups(),
          },
        };
      }
      throw err;
    }
  } catch (err) {
    const failure = failureOf(err);
    if (failure) return { ok: false, failure };
    throw err;
  }
}

/** The engine's typed errors as data; undefined for anything else (a bug: rethrown). */
export function failureOf(err: unknown): EvaluationFailure | undefined {
  if (err instanceof PolicySpecError) return { kind: "invalid-spec", field: err.field, message: err.message };
  if (err instanceof NoSelectableTagError)
    return { kind: "no-selectable-tag", message: err.message, counts: err.counts };
  if (err instanceof PolicyDeadlineError)
    return {
      kind: "deadline",
      message: err.message,
      elapsedMs: err.elapsedMs,
      limitMs: err.limitMs,
      counts: err.counts,
    };
  return undefined;
}
