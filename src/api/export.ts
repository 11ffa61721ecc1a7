/**
 * Objects out as YAML, in the shape `flux create … --export` and `flux export` print: a `---` line,
 * then apiVersion, kind, metadata (name, namespace, labels/annotations when set) and spec; no status.
 *
 * Flux marshals through sigs.k8s.io/yaml (Go struct → JSON → go-yaml v2), so keys come out sorted
 * with go-yaml's key order, `omitempty` fields are dropped, durations print as Go durations
 * (`5m` → `5m0s`), sequences are not indented under their key, and strings that would read back
 * as another type are double-quoted. Long lines are not folded (go-yaml would fold at 80 columns).
 */

import { Document, isScalar, parse, Scalar, visit } from "yaml";
import type { $ZodType } from "zod/v4/core";
import { normalizeApiVersion } from "./defaults.js";
import { isValidDuration, normalizeDuration } from "./duration.js";
import { gitUrlWithoutCredentials } from "./git-url.js";
import { fieldView, isPlainObject, specSchema } from "./schema.js";
import { type AnyObject, DEFAULT_NAMESPACE } from "./types.js";

type Plain = string | boolean | number | Plain[] | { [key: string]: Plain };

/** The plain object Flux would print for `obj` (keys in output order). */
export function toExportObject(obj: AnyObject): Record<string, Plain> {
  const metadata: Record<string, Plain> = {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace || DEFAULT_NAMESPACE,
  };
  const { labels, annotations } = obj.metadata;
  if (labels && Object.keys(labels).length > 0) metadata.labels = { ...labels };
  if (annotations && Object.keys(annotations).length > 0) metadata.annotations = { ...annotations };
  const spec = cleanValue(obj.spec, specSchema(obj.kind)) ?? {};
  if (isPlainObject(spec)) {
    for (const field of ["interval", "timeout"]) {
      const v = spec[field];
      // Invalid durations are left as written; validation reports them.
      if (typeof v === "string" && isValidDuration(v)) spec[field] = normalizeDuration(v);
    }
    // Stored before credentials in URLs were refused: never printed (they belong in spec.secretRef).
    if (obj.kind === "GitRepository" && typeof spec.url === "string")
      spec.url = gitUrlWithoutCredentials(spec.url);
  }
  return sortKeys({
    apiVersion: normalizeApiVersion(obj.apiVersion),
    kind: obj.kind,
    metadata,
    spec,
  }) as Record<string, Plain>;
}

/** One object as a YAML document starting with `---`. */
export function toManifest(obj: AnyObject): string {
  const doc = new Document(toExportObject(obj), { version: "1.1" });
  visit(doc, {
    Scalar(_key, node) {
      styleScalar(node);
    },
  });
  return `---\n${doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true })}`;
}

/** Several objects as one multi-document YAML stream. */
export function exportManifests(objs: readonly AnyObject[]): string {
  return objs.map(toManifest).join("");
}

/** go-yaml v2's choice: literal block for multi-line, double quotes when the text would read back as non-string. */
function styleScalar(node: Scalar): void {
  if (!isScalar(node) || typeof node.value !== "string") return;
  const text = node.value;
  if (text.includes("\n")) node.type = Scalar.BLOCK_LITERAL;
  else if (resolvesToNonString(text)) node.type = Scalar.QUOTE_DOUBLE;
  // Everything else is left to the yaml package: plain when possible, else single quotes, as go-yaml.
}

/** go-yaml's resolve(): would this text, written plain, read back as null, a bool or a number? */
function resolvesToNonString(text: string): boolean {
  // Only these first characters can start a YAML 1.1 null, bool or number; skip the parse otherwise.
  if (text !== "" && !/^[-+.0-9~nNyYtTfFoO]/.test(text)) return false;
  try {
    const value: unknown = parse(text, { version: "1.1" });
    return value === null || typeof value === "boolean" || typeof value === "number";
  } catch {
    return false;
  }
}

/** Drops what Go's `omitempty` drops: unset, false, "", empty lists and maps; keeps empty structs. */
function cleanValue(value: unknown, schema: $ZodType | undefined): Plain | undefined {
  if (value === undefined || value === null) return undefined;
  if (schema === undefined) return toPlain(value);
  const field = fieldView(schema);
  switch (field.type) {
    case "string":
      if (value === "" && !field.keepEmpty && !field.required) return undefined;
      return toPlain(value);
    case "boolean":
      return value === false ? undefined : toPlain(value);
    case "stringMap":
      return isPlainObject(value) && Object.keys(value).length === 0 ? undefined : toPlain(value);
    case "array": {
      if (!Array.isArray(value) || value.length === 0)
        return Array.isArray(value) ? undefined : toPlain(value);
      return value.map((item) => cleanValue(item, field.items) ?? {});
    }
    case "object":
      return cleanObject(value, field.fields);
    case "other":
      return toPlain(value);
  }
}

function cleanObject(value: unknown, fields: Readonly<Record<string, $ZodType>>): Plain | undefined {
  if (!isPlainObject(value)) return toPlain(value);
  const out: Record<string, Plain> = {};
  for (const [key, v] of Object.entries(value)) {
    const cleaned = cleanValue(v, fields[key]);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  // Fields without omitempty are printed even when unset.
  for (const [key, schema] of Object.entries(fields)) {
    const field = fieldView(schema);
    if (field.type === "string" && field.keepEmpty && out[key] === undefined) out[key] = "";
  }
  return out;
}

function toPlain(value: unknown): Plain {
  if (Array.isArray(value)) return value.map(toPlain);
  if (isPlainObject(value)) {
    const out: Record<string, Plain> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = toPlain(v);
    return out;
  }
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
  return String(value);
}

function sortKeys(value: Plain): Plain {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object") return value;
  const out: Record<string, Plain> = {};
  for (const key of Object.keys(value).sort(goYamlKeyCompare)) {
    const v = value[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

const runeCompare = (a: string, b: string) => (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0);
const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => c >= "0" && c <= "9";

/**
 * go-yaml v2's map key order (sorter.go): rune by rune, letters after other characters, runs of
 * digits compared as numbers. Hand-written because no JS library reproduces it.
 */
export function goYamlKeyCompare(a: string, b: string): number {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] ?? "";
    const bc = br[i] ?? "";
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return runeCompare(ac, bc);
    if (al || bl) return bl ? -1 : 1;
    let an = 0n;
    let bn = 0n;
    if (ac === "0" || bc === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j] ?? ""); j--) {
        if (ar[j] !== "0") {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai] ?? ""); ai++) an = an * 10n + BigInt(ar[ai] ?? "0");
    for (; bi < br.length && isDigit(br[bi] ?? ""); bi++) bn = bn * 10n + BigInt(br[bi] ?? "0");
    if (an !== bn) return an < bn ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return runeCompare(ac, bc);
  }
  return ar.length - br.length;
}
