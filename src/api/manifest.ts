/**
 * Reading manifests: multi-document YAML → validated, normalised objects (v1beta2 read as v1,
 * namespace filled in, status and server-side metadata dropped). Every problem in every document
 * is reported at once, with file, line, document number, object and field.
 */
import { type Document, LineCounter, parseAllDocuments } from "yaml";
import { normalizeApiVersion } from "./defaults.js";
import { checkManifestText, decodeManifestBytes, INPUT_LIMITS, limitIssues } from "./input-limits.js";
import { ManifestError, type ValidationIssue } from "./issues.js";
import { objectKey } from "./object-id.js";
import { isPlainObject } from "./schema.js";
import type { PathSegment } from "./shape-problems.js";
import { type AnyObject, DEFAULT_NAMESPACE, type ObjectMeta } from "./types.js";
import { describeObject, findProblems } from "./validate.js";
import { checkYamlDocument } from "./yaml-checks.js";

export { exportManifests, toExportObject, toManifest } from "./export.js";

export interface ParsedDocument {
  object: AnyObject;
  /** File name given to parseManifests, for messages. */
  source?: string;
  /** 1-based position of the document in the file (empty documents count, as `---` separators do). */
  document: number;
  /** 0-based position (`document - 1`). */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
}

export interface ParseOptions {
  /** Namespace for objects without `metadata.namespace` (default `flux-system`, as the flux CLI). */
  defaultNamespace?: string;
  /** Run every validation rule, not only the structural ones (default true). */
  validate?: boolean;
  /** Documents this returns false for are skipped unread (a Git source's Deployments, say). */
  select?: (value: unknown) => boolean;
}

/**
 * Parses every non-empty document of `text`. Throws ManifestError listing all problems (YAML
 * syntax, unknown kinds/apiVersions, invalid fields, duplicate objects) if there is any.
 */
export function parseManifests(text: string, source?: string, options: ParseOptions = {}): ParsedDocument[] {
  // Limits first: the parser must never see a 10 MB document or a million nested brackets.
  const limits = checkManifestText(text);
  if (limits.length > 0) throw new ManifestError(limitIssues(limits, source));
  const lineCounter = new LineCounter();
  // Duplicate keys are found by checkYamlDocument in linear time (yaml's check is quadratic).
  const docs = parseAllDocuments(text, {
    lineCounter,
    version: "1.1",
    prettyErrors: true,
    uniqueKeys: false,
  });
  const issues: ValidationIssue[] = [];
  const parsed: ParsedDocument[] = [];
  const seen = new Map<string, number>();
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  const located = (document: number, line: number) => ({
    ...(source !== undefined ? { source } : {}),
    document,
    line,
  });

  // parseAllDocuments returns an EmptyStream (not iterable as documents) for empty input.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    const document = i + 1;
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = err.linePos?.[0];
        const message = (err.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        issues.push({
          object: "",
          field: "",
          message: `YAML syntax error: ${message}${pos ? ` (column ${pos.col})` : ""}`,
          ...located(document, pos?.line ?? lineOf(start)),
        });
      }
      return;
    }
    const treeProblems = checkYamlDocument(doc);
    if (treeProblems.length > 0) {
      for (const t of treeProblems)
        issues.push({ object: "", field: "", message: t.message, ...located(document, lineOf(t.offset)) });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: INPUT_LIMITS.aliases });
    } catch (err) {
      // yaml counts aliases as expanded ("billion laughs"), beyond the count of alias nodes; it
      // also finds an alias without its anchor only here.
      const text = err instanceof Error ? err.message : String(err);
      const message = /Excessive alias count/.test(text)
        ? `YAML aliases expand to more than ${INPUT_LIMITS.aliases} nodes ("billion laughs")`
        : `YAML syntax error: ${text}`;
      issues.push({ object: "", field: "", message, ...located(document, lineOf(start)) });
      return;
    }
    if (value === null || value === undefined) return;
    if (options.select && !options.select(value)) return;
    const problems = findProblems(value, options.validate !== false);
    if (problems.length > 0) {
      const object = describeObject(value);
      for (const p of problems) {
        issues.push({
          object,
          field: p.field,
          message: p.message,
          ...located(document, lineOfPath(doc, p.path, lineOf, start)),
        });
      }
      return;
    }
    const object = normalize(value as unknown as AnyObject, options.defaultNamespace ?? DEFAULT_NAMESPACE);
    const key = objectKey(object);
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        object: key,
        field: "metadata.name",
        message: `duplicate object: document ${first} defines the same ${object.kind}`,
        ...located(document, lineOfPath(doc, ["metadata", "name"], lineOf, start)),
      });
      return;
    }
    seen.set(key, document);
    parsed.push({
      object,
      ...(source !== undefined ? { source } : {}),
      document,
      index: i,
      line: lineOf(start),
    });
  });
  if (issues.length > 0) throw new ManifestError(issues);
  return parsed;
}

/**
 * Manifest bytes (a file, stdin, a blob from Git): size and UTF-8 checked before decoding, then
 * parseManifests. Throws ManifestError naming the file, document, line and byte offset.
 */
export function parseManifestBytes(
  bytes: Uint8Array,
  source?: string,
  options: ParseOptions = {},
): ParsedDocument[] {
  const decoded = decodeManifestBytes(bytes);
  if (decoded.problem) throw new ManifestError(limitIssues([decoded.problem], source));
  return parseManifests(decoded.text ?? "", source, options);
}

/** Line of the deepest node on `path` that exists (the parent, for a missing field). */
function lineOfPath(
  doc: Document,
  path: PathSegment[],
  lineOf: (offset: number) => number,
  fallback: number,
): number {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && Array.isArray(node.range)) return lineOf(node.range[0]);
  }
  return lineOf(fallback);
}

/** The object as stored: v1 apiVersion, namespace set, only spec-relevant metadata, no status. */
function normalize(raw: AnyObject, defaultNamespace: string): AnyObject {
  const meta: ObjectMeta = { name: raw.metadata.name, namespace: raw.metadata.namespace || defaultNamespace };
  if (raw.metadata.labels) meta.labels = raw.metadata.labels;
  if (raw.metadata.annotations) meta.annotations = raw.metadata.annotations;
  return {
    apiVersion: normalizeApiVersion(raw.apiVersion),
    kind: raw.kind,
    metadata: meta,
    spec: stripNulls(raw.spec),
  } as AnyObject;
}

/** `secretRef:` with no value reads as null; Kubernetes treats that as unset. */
function stripNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripNulls) as T;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = stripNulls(v);
  return out as T;
}
