/**
 * Typed errors of the policy engine. Messages follow Flux's wording so that users
 * who know Flux recognise them; `field` names the spec field at fault.
 */

/** The policy spec itself is invalid (Flux: Stalled, reason InvalidPolicy). */
export class PolicySpecError extends Error {
  override name = "PolicySpecError";
  /** Spec path at fault, e.g. "spec.policy.semver.range", "spec.exclusionList[2]". */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** A pattern that Go's regexp (RE2) would not compile; message is Go's. */
export class RegexSyntaxError extends Error {
  override name = "RegexSyntaxError";
  readonly pattern: string;
  constructor(pattern: string, message: string) {
    super(message);
    this.pattern = pattern;
  }
}

/** Counts describing how far the tags got; attached to failures for explain output. */
export interface RejectedCounts {
  /** semver policy: candidate values that do not parse as a version. */
  notSemver: number;
  /** semver policy: versions outside the range. */
  outOfRange: number;
  /** numerical policy: candidate values that are not Go floats. */
  notNumeric: number;
}

export interface SelectionCounts {
  /** Tags given to the selection. */
  read: number;
  /** Tags dropped by the exclusion list. */
  excluded: number;
  /** Tags (after exclusion) that matched filterTags.pattern. */
  matched: number;
  /** Distinct candidate values after extract (equal values collapse, the later tag wins). */
  candidates: number;
  /** Candidates the policy could rank. */
  selectable: number;
  rejected: RejectedCounts;
}

/** The policy is valid but no tag can be selected; the message says why (Flux wording). */
export class NoSelectableTagError extends Error {
  override name = "NoSelectableTagError";
  readonly counts: SelectionCounts | undefined;
  constructor(message: string, counts?: SelectionCounts) {
    super(message);
    this.counts = counts;
  }
}
