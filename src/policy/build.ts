import { PolicySpecError, RegexSyntaxError } from "./errors.js";
import { type CompiledTemplate, compileTemplate } from "./regex/go-expand.js";
import { compileGoRegex, type GoRegex } from "./regex/go-regex.js";
import { ConstraintSyntaxError, type Constraints, parseConstraints } from "./semver/constraint.js";

export type Order = "asc" | "desc";

/** How semver pre-releases compare: Flux's (Masterminds, byte-wise) or natural (rc9 < rc10). */
export type PrereleaseOrder = "flux" | "natural";

/** imagectl's opt-in extensions that change the order itself (see docs/selection.md). */
export interface PolicyExtensions {
  prereleaseOrder?: PrereleaseOrder;
}

/** `spec.policy` (Flux ImagePolicyChoice, API spelling: lower-case order, default asc). */
export interface PolicyChoice {
  semver?: { range: string };
  alphabetical?: { order?: Order };
  numerical?: { order?: Order };
}

/** `spec.filterTags`. */
export interface TagFilterSpec {
  pattern?: string;
  extract?: string;
}

export interface CompiledFilter {
  readonly pattern: string;
  readonly extract: string;
  readonly regex: GoRegex;
  /** undefined when extract is empty: the candidate value is the tag itself. */
  readonly template: CompiledTemplate | undefined;
}

/** A validated, compiled policy; build with buildPolicy, use with selectLatest. */
export type Policy =
  | {
      readonly kind: "semver";
      readonly range: string;
      readonly constraints: Constraints;
      readonly prereleaseOrder: PrereleaseOrder;
      readonly filter?: CompiledFilter;
    }
  | { readonly kind: "alphabetical"; readonly order: Order; readonly filter?: CompiledFilter }
  | { readonly kind: "numerical"; readonly order: Order; readonly filter?: CompiledFilter };

/**
 * Validates and compiles an ImagePolicy's `spec.policy` and `spec.filterTags`.
 * Stricter than Flux in two places, on purpose: two policy choices at once is an error
 * (Flux silently takes semver > alphabetical > numerical), and `extract` must name
 * only groups that exist in `pattern` and needs a pattern (Flux's CLI checks names too).
 * @throws PolicySpecError naming the field at fault.
 */
export function buildPolicy(
  choice: PolicyChoice,
  filter?: TagFilterSpec,
  extensions: PolicyExtensions = {},
): Policy {
  const set = (["semver", "alphabetical", "numerical"] as const).filter((k) => choice[k] != null);
  if (set.length === 0) throw new PolicySpecError("spec.policy", "given ImagePolicyChoice object is invalid");
  if (set.length > 1) {
    throw new PolicySpecError(
      "spec.policy",
      `only one of semver, alphabetical or numerical may be set, got ${set.join(" and ")}`,
    );
  }
  const prereleaseOrder = extensions.prereleaseOrder ?? "flux";
  if (prereleaseOrder !== "flux" && prereleaseOrder !== "natural") {
    throw new PolicySpecError(
      "prereleaseOrder",
      `unknown pre-release order '${String(prereleaseOrder)}', must be natural or flux`,
    );
  }
  if (prereleaseOrder === "natural" && !choice.semver) {
    throw new PolicySpecError("prereleaseOrder", "natural pre-release order needs a semver policy");
  }
  const compiledFilter = filter ? compileFilter(filter) : undefined;
  const withFilter = compiledFilter ? { filter: compiledFilter } : {};
  if (choice.semver) {
    const range = choice.semver.range;
    if (typeof range !== "string")
      throw new PolicySpecError("spec.policy.semver.range", "semver range is required");
    try {
      return {
        kind: "semver",
        range,
        constraints: parseConstraints(range),
        prereleaseOrder,
        ...withFilter,
      };
    } catch (err) {
      if (err instanceof ConstraintSyntaxError) {
        throw new PolicySpecError("spec.policy.semver.range", `semver parse error: ${err.message}`);
      }
      throw err;
    }
  }
  const kind = choice.alphabetical ? "alphabetical" : "numerical";
  const order = parseOrder(choice[kind]?.order, `spec.policy.${kind}.order`);
  return { kind, order, ...withFilter };
}

function parseOrder(order: unknown, field: string): Order {
  if (order === undefined || order === "" || order === "asc") return "asc";
  if (order === "desc") return "desc";
  throw new PolicySpecError(
    field,
    `invalid order argument provided: '${String(order)}', must be one of: asc, desc`,
  );
}

function compileFilter(spec: TagFilterSpec): CompiledFilter {
  const pattern = spec.pattern ?? "";
  const extract = spec.extract ?? "";
  if (extract !== "" && pattern === "") {
    throw new PolicySpecError(
      "spec.filterTags.extract",
      "extract requires a pattern to take capture groups from",
    );
  }
  let regex: GoRegex;
  try {
    regex = compileGoRegex(pattern);
  } catch (err) {
    if (err instanceof RegexSyntaxError) {
      throw new PolicySpecError(
        "spec.filterTags.pattern",
        `invalid regular expression pattern '${pattern}': ${err.message}`,
      );
    }
    throw err;
  }
  let template: CompiledTemplate | undefined;
  if (extract !== "") {
    template = compileTemplate(extract, regex.groupNames);
    const missing = template.names.find((name) => !regex.groupNames.has(name));
    if (missing !== undefined) {
      throw new PolicySpecError(
        "spec.filterTags.extract",
        `capture group '${missing}' in extract '${extract}' is not defined in pattern '${pattern}'`,
      );
    }
  }
  return { pattern, extract, regex, template };
}
