// zod/mini, not zod's classic API: measured in a bundle like ours, classic zod is ~580 KB and
// ~5-8 ms to initialise even from a code cache, mini ~20 KB and ~0.4 ms. These checks run inside
// `policy test --image` (a token service's answer, a Docker config), where that is start-up time.

import type { ZodMiniType } from "zod/mini";
import type { $ZodIssue } from "zod/v4/core";

/**
 * A checked value, or why it is not one, worded to follow the thing's name: "is not valid JSON" or
 * "is not valid: field tags[3]: expected string, got number". Never quotes the text (it may hold
 * a secret), only field names and JSON types.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** `JSON.parse`, then `schema`. */
export function checkJson<T>(schema: ZodMiniType<T>, text: string): Checked<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the text: say only that it is not JSON.
    return { ok: false, problem: "is not valid JSON" };
  }
  return checkValue(schema, value);
}

export function checkValue<T>(schema: ZodMiniType<T>, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, problem: `is not valid: ${issue ? describeIssue(issue, value) : "unexpected shape"}` };
}

function describeIssue(issue: $ZodIssue, input: unknown): string {
  let what: string;
  if (issue.code === "invalid_type") {
    const found = valueAt(input, issue.path);
    what = found.present ? `expected ${issue.expected}, got ${kindOf(found.value)}` : "missing";
  } else if (issue.message && issue.message !== "Invalid input") {
    // The schemas' own messages (zod/mini loads no locale: its default is "Invalid input").
    what = issue.message;
  } else {
    what = issue.code.replaceAll("_", " ");
  }
  const where = fieldPath(issue.path);
  return where ? `field ${where}: ${what}` : what;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][\w]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return { present: false };
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return { present: v !== undefined, value: v };
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
