/**
 * A value checked against a zod schema of schema.ts, each problem worded as imagectl has always
 * worded it (and tests pin): the field's path (`spec.exclusionList[2]`, `metadata.labels[app]`),
 * then what is wrong, in YAML's terms ("a mapping", "a list", quote a number).
 */
// A namespace import, as in schema.ts.

import * as z from "zod/mini";
import type { $ZodIssue, $ZodType } from "zod/v4/core";
import { quote } from "./input-limits.js";
import { type FieldView, fieldView } from "./schema.js";

/** Path into a decoded document: object keys and array indexes. */
export type PathSegment = string | number;

export interface ShapeProblem {
  /** Segments for locating the YAML node. */
  path: PathSegment[];
  /** Display form: `spec.exclusionList[2]`, `metadata.labels[app]`. */
  field: string;
  message: string;
}

/** `spec` + `exclusionList` → `spec.exclusionList`. */
function childField(field: string, name: string): string {
  return field === "" ? name : `${field}.${name}`;
}

/** Checks `value` against `schema` at `path`/`field`, appending a problem for each of zod's issues. */
export function checkShape(
  value: unknown,
  schema: $ZodType,
  path: PathSegment[],
  field: string,
  problems: ShapeProblem[],
): void {
  // reportInput: the messages say what was found ("got a list").
  const result = z.safeParse(schema, value, { reportInput: true });
  if (result.success) return;
  for (const issue of result.error.issues) problems.push(...problemsOf(issue, schema, path, field));
}

function problemsOf(issue: $ZodIssue, schema: $ZodType, path: PathSegment[], field: string): ShapeProblem[] {
  // Walk the schema along the issue's path: the field's display form and its schema.
  let view = fieldView(schema);
  let text = field;
  let isField = false;
  const at: PathSegment[] = [...path];
  for (const key of issue.path) {
    const seg = typeof key === "number" ? key : String(key);
    at.push(seg);
    const next: $ZodType | undefined =
      view.type === "object" ? view.fields[seg] : view.type === "array" ? view.items : undefined;
    isField = view.type === "object";
    text = isField ? childField(text, String(seg)) : `${text}[${seg}]`;
    // A map's values are strings; only its entries are checked beyond it.
    view = next ? fieldView(next) : { type: "string", required: true, keepEmpty: false };
  }
  const input = "input" in issue ? issue.input : undefined;
  const problem = (message: string): ShapeProblem => ({ path: at, field: text, message });
  // A field that is absent, or null (which Kubernetes reads as unset), is missing.
  const missing = isField && (input === undefined || input === null);
  switch (issue.code) {
    case "invalid_type":
      return [problem(missing ? "required field is missing" : typeMismatch(view, input))];
    case "invalid_value":
      if (missing) return [problem("required field is missing")];
      if (typeof input !== "string") return [problem(typeMismatch(view, input))];
      return [
        problem(
          `unsupported value ${quote(input)}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        ),
      ];
    case "too_big":
      return [
        problem(
          `must have at most ${issue.maximum} items, has ${Array.isArray(input) ? input.length : "more"}`,
        ),
      ];
    case "unrecognized_keys": {
      const known = view.type === "object" ? Object.keys(view.fields) : [];
      return issue.keys.map((name) => {
        const hint = closestName(name, known);
        return {
          path: [...at, name],
          field: childField(text, name),
          message: `unknown field${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}; known fields: ${known.join(", ")}`,
        };
      });
    }
    default:
      return [problem(issue.message)];
  }
}

const EXPECTED: Readonly<Record<FieldView["type"], string>> = {
  string: "a string",
  boolean: "true or false",
  stringMap: "a mapping of strings",
  object: "a mapping",
  array: "a list",
  other: "another type",
};

function typeMismatch(view: FieldView, value: unknown): string {
  const expected = EXPECTED[view.type];
  const got = describeValue(value);
  if (view.type === "string" && (typeof value === "number" || typeof value === "boolean")) {
    // YAML turned `1.10` or `yes` into a non-string; the fix is quoting.
    return `must be a string, got ${got} (quote it in YAML: "${String(value)}")`;
  }
  if (view.type === "string" && value instanceof Date)
    return `must be a string, got ${got} (quote it in YAML)`;
  return `must be ${expected}, got ${got}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  // YAML 1.1 reads an unquoted 2024-01-31 as a timestamp.
  if (value instanceof Date) return "a timestamp";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  return `${typeof value} ${String(value)}`;
}

function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  // Longer names tolerate one more edit (`policies` → `policy`).
  let bestDistance = name.length >= 6 ? 4 : 3;
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
