/**
 * Kubernetes label selectors (metav1.LabelSelector), as used by ImageUpdateAutomation
 * `spec.policySelector` and by `-l/--label-selector` flags.
 */
import { quote } from "./input-limits.js";
import { checkLabelValue, checkQualifiedName } from "./names.js";
import type { LabelSelector, LabelSelectorRequirement } from "./types.js";

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

export class LabelSelectorError extends Error {
  override name = "LabelSelectorError";
}

/**
 * True when `labels` satisfy every `matchLabels` entry and every `matchExpressions` requirement.
 * An absent or empty selector matches everything (Flux: all policies in the namespace).
 */
export function matchesLabelSelector(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!selector) return true;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => matchesRequirement(req, have));
}

function matchesRequirement(
  req: LabelSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const present = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return present && value !== undefined && values.includes(value);
    case "NotIn":
      return !present || value === undefined || !values.includes(value);
    case "Exists":
      return present;
    case "DoesNotExist":
      return !present;
    default:
      // validateLabelSelector rejects other operators; an unvalidated one must not select anything.
      return false;
  }
}

export interface SelectorProblem {
  /** Path relative to the selector, e.g. `matchExpressions[0].values`. */
  field: string;
  message: string;
}

/** The API server's LabelSelector rules: valid keys/values, known operators, values only where allowed. */
export function validateLabelSelector(selector: LabelSelector): SelectorProblem[] {
  const problems: SelectorProblem[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    for (const p of checkQualifiedName(key))
      problems.push({ field: `matchLabels[${key}]`, message: `key: ${p}` });
    for (const p of checkLabelValue(value)) problems.push({ field: `matchLabels[${key}]`, message: p });
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `matchExpressions[${i}]`;
    for (const p of checkQualifiedName(req.key ?? "")) problems.push({ field: `${at}.key`, message: p });
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          problems.push({
            field: `${at}.values`,
            message: `must be specified when operator is '${req.operator}'`,
          });
        }
        values.forEach((v, j) => {
          for (const p of checkLabelValue(v)) problems.push({ field: `${at}.values[${j}]`, message: p });
        });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          problems.push({
            field: `${at}.values`,
            message: `may not be specified when operator is '${req.operator}'`,
          });
        }
        break;
      default:
        problems.push({
          field: `${at}.operator`,
          message: `unsupported operator ${quote(req.operator)}: must be one of ${SELECTOR_OPERATORS.join(", ")}`,
        });
    }
  });
  return problems;
}

/**
 * Parses the kubectl selector syntax (`app=web,tier!=db,env in (a,b),!legacy,release`) into a
 * LabelSelector. `!=` becomes NotIn, as in apimachinery.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const selector: LabelSelector = {};
  const expressions: LabelSelectorRequirement[] = [];
  for (const term of splitTerms(text)) {
    const set = /^([^\s!=()]+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(term);
    if (set) {
      const values = (set[3] ?? "")
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      expressions.push({ key: set[1] ?? "", operator: set[2] === "in" ? "In" : "NotIn", values });
      continue;
    }
    const cmp = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term);
    if (cmp) {
      const [, key = "", op, value = ""] = cmp;
      if (op === "!=") expressions.push({ key, operator: "NotIn", values: [value] });
      else selector.matchLabels = { ...selector.matchLabels, [key]: value };
      continue;
    }
    const exists = /^(!?)([^\s!=(),]+)$/.exec(term);
    if (exists) {
      expressions.push({ key: exists[2] ?? "", operator: exists[1] ? "DoesNotExist" : "Exists" });
      continue;
    }
    throw new LabelSelectorError(`invalid label selector term ${quote(term)}`);
  }
  if (expressions.length > 0) selector.matchExpressions = expressions;
  const problems = validateLabelSelector(selector);
  if (problems.length > 0) {
    throw new LabelSelectorError(
      `invalid label selector ${quote(text)}: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
    );
  }
  return selector;
}

/** Splits on commas that are not inside `( … )`. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== "");
}
