/** The policy engine: pure functions from tags and a Flux ImagePolicy spec to the latest tag. */
export {
  buildPolicy,
  type CompiledFilter,
  type Order,
  type Policy,
  type PolicyChoice,
  type PolicyExtensions,
  type PrereleaseOrder,
  type TagFilterSpec,
} from "./build.js";
export { compareBytes } from "./byte-order.js";
export {
  DEFAULT_POLICY_TIMEOUT_MS,
  type DeadlineFacts,
  deadlineMessage,
  PolicyDeadlineError,
  withDeadline,
} from "./deadline.js";
export {
  NoSelectableTagError,
  PolicySpecError,
  RegexSyntaxError,
  type RejectedCounts,
  type SelectionCounts,
} from "./errors.js";
export {
  type EvaluationFailure,
  type EvaluationRequest,
  type EvaluationResult,
  evaluatePolicy,
  failureOf,
} from "./evaluate.js";
export {
  compileExclusionList,
  DEFAULT_EXCLUSION_LIST,
  type ExclusionPredicate,
  latestTags,
} from "./exclusion.js";
export { type Explanation, explanationOf, type RejectedGroup, rejectCollector } from "./explain.js";
export { countLines, describeCounts, describeSelection, REJECT_REASON_TEXT } from "./explain-text.js";
export {
  chooseWithFacts,
  describeVerdict,
  type FactChoice,
  type FactRules,
  type JudgedCandidate,
  needsFacts,
  type TagFacts,
  type Verdict,
} from "./facts.js";
export { parseGoFloat } from "./numeric/go-float.js";
export { type CompiledTemplate, compileTemplate } from "./regex/go-expand.js";
export { compileGoRegex, type GoMatch, type GoRegex } from "./regex/go-regex.js";
export { type LinearRegexpSwitch, useLinearRegexpEngine } from "./regex/v8-linear.js";
export {
  createTagSelector,
  type RejectReason,
  type Selection,
  type SelectOptions,
  selectLatest,
  type TagSelector,
} from "./select.js";
export { ConstraintSyntaxError, type Constraints, parseConstraints } from "./semver/constraint.js";
export { comparePrereleaseNatural, compareVersionsNatural } from "./semver/natural.js";
export { sortVersions } from "./semver/sort.js";
export { compareVersions, parseFluxVersion, parseLooseVersion, type Version } from "./semver/version.js";
export type { Candidate } from "./top-n.js";
