/**
 * The checks that belong to the policy engine (RE2 patterns, Masterminds semver ranges, extract
 * templates), run through src/policy so that validation and selection can never disagree.
 */
import { buildPolicy, compileExclusionList, PolicySpecError } from "../policy/index.js";
import type { ImagePolicyChoice, TagFilter } from "./types.js";

export interface PolicyProblem {
  /** Field path as src/policy reports it, e.g. `spec.filterTags.pattern`. */
  field: string;
  message: string;
}

function asProblem(err: unknown, field?: string): PolicyProblem {
  if (err instanceof PolicySpecError) return { field: field ?? err.field, message: err.message };
  throw err;
}

/** Problems with `spec.policy` and `spec.filterTags`, as found by buildPolicy. */
export function checkPolicyChoice(choice: ImagePolicyChoice, filter: TagFilter | undefined): PolicyProblem[] {
  try {
    buildPolicy(choice, filter);
    return [];
  } catch (err) {
    return [withRangeHint(asProblem(err))];
  }
}

const RANGE_HINT = 'expected a semver range such as "1.x", "^1.2.0" or ">=1.0.0 <2.0.0"';

/** Flux's "improper constraint" does not say what a proper one looks like. */
function withRangeHint(problem: PolicyProblem): PolicyProblem {
  if (!problem.field.endsWith(".semver.range") && !problem.field.endsWith(".semver")) return problem;
  return { ...problem, message: `${problem.message} (${RANGE_HINT})` };
}

/** Problems with each exclusionList pattern (checked one by one so that every bad pattern is named). */
/** RE2 patterns (ImageRepository's exclusionList, an Alert's inclusion/exclusion lists) at `field`. */
export function checkExclusionList(
  patterns: readonly string[],
  field = "spec.exclusionList",
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  patterns.forEach((pattern, i) => {
    try {
      compileExclusionList([pattern]);
    } catch (err) {
      problems.push(asProblem(err, `${field}[${i}]`));
    }
  });
  return problems;
}

/** A semver range outside ImagePolicy (GitRepository `ref.semver`), checked with the same grammar. */
export function checkSemverRange(range: string, field: string): PolicyProblem[] {
  try {
    buildPolicy({ semver: { range } });
    return [];
  } catch (err) {
    return [withRangeHint(asProblem(err, field))];
  }
}
