/**
 * Setters for files that are not YAML but carry the same marker in a line comment: Dockerfiles
 * (`FROM`, `ARG`/`ENV` defaults), `.env` and shell-style `KEY=value` files, HCL/Terraform, and
 * any file a user includes by glob. Only the image reference (or the part the marker names) on
 * the marked line is replaced; its quotes and the rest of the line stay as they were.
 *
 * Hand-written because each format is only read line by line for one value: no parser of these
 * formats keeps byte offsets of values, and none is needed to find `KEY=value # comment`.
 */
import { setRefPart } from "./image-ref-parts.js";
import { parseMarker } from "./marker.js";
import type { FileSetterResult, PolicyRefs, ResourceIdentifier } from "./types.js";

export type LineFileType = "dockerfile" | "env" | "hcl" | "generic";

const NO_OBJECT: ResourceIdentifier = { apiVersion: "", kind: "", name: "", namespace: "" };

interface Span {
  start: number;
  end: number;
}

/** Where the comment of a line starts (`#`, and `//` in HCL), outside quotes; -1 when none. */
function commentStart(line: string, type: LineFileType): number {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (
      (c === "#" || (type === "hcl" && c === "/" && line[i + 1] === "/")) &&
      (i === 0 || /\s/.test(line[i - 1]!))
    )
      return i;
  }
  return -1;
}

/** The value of `KEY=value` (or `KEY value` in a Dockerfile ENV) starting at `at`, unquoted. */
function assignedValue(code: string, at: number): Span | undefined {
  const eq = code.indexOf("=", at);
  if (eq < 0) return undefined;
  let start = eq + 1;
  while (code[start] === " " || code[start] === "\t") start++;
  return quotedOrWord(code, start);
}

/** A `"…"` / `'…'` string's content, or a whitespace-delimited word, at `start`. */
function quotedOrWord(code: string, start: number): Span | undefined {
  const q = code[start];
  if (q === '"' || q === "'") {
    const end = code.indexOf(q, start + 1);
    return end < 0 ? undefined : { start: start + 1, end };
  }
  let end = start;
  while (end < code.length && !/\s/.test(code[end]!)) end++;
  return end > start ? { start, end } : undefined;
}

/** In a Dockerfile: the image of `FROM [--flag=…] image [AS name]`, or the value of `ARG`/`ENV`. */
function dockerfileValue(code: string): Span | undefined {
  const m = /^\s*(FROM|ARG|ENV)\s+/i.exec(code);
  if (!m) return genericValue(code);
  if (m[1]!.toUpperCase() !== "FROM") return assignedValue(code, m[0].length);
  let at = m[0].length;
  for (;;) {
    const word = quotedOrWord(code, at);
    if (!word) return undefined;
    if (!code.startsWith("--", word.start)) return word;
    at = word.end;
    while (code[at] === " " || code[at] === "\t") at++;
  }
}

/** Anything else: the value after the last `=` or `: `, else the last word of the line. */
function genericValue(code: string): Span | undefined {
  const trimmed = code.trimEnd();
  const eq = Math.max(trimmed.lastIndexOf("="), trimmed.lastIndexOf(": "));
  if (eq >= 0) {
    let start = eq + (trimmed[eq] === "=" ? 1 : 2);
    while (trimmed[start] === " " || trimmed[start] === "\t") start++;
    return quotedOrWord(trimmed, start);
  }
  let start = trimmed.length;
  while (start > 0 && !/\s/.test(trimmed[start - 1]!)) start--;
  const q = trimmed[start];
  if ((q === '"' || q === "'") && trimmed.endsWith(q) && trimmed.length - start >= 2)
    return { start: start + 1, end: trimmed.length - 1 };
  return start < trimmed.length ? { start, end: trimmed.length } : undefined;
}

function markedValue(code: string, type: LineFileType): Span | undefined {
  switch (type) {
    case "dockerfile":
      return dockerfileValue(code);
    case "env":
    case "hcl":
      return assignedValue(code, 0) ?? genericValue(code);
    case "generic":
      return genericValue(code);
  }
}

const PARTS = new Set(["name", "tag", "digest"]);

/**
 * Edits the marked values of one non-YAML file. A marker in the comment at the end of a line
 * marks that line's value; a comment holding only a marker marks the next non-blank line (the
 * form a Dockerfile needs, since Docker reads `#` after an instruction as arguments).
 * `hold` names setters left as they are (pinned after a rollback).
 */
export function applyLineSetters(
  text: string,
  refs: PolicyRefs,
  type: LineFileType,
  hold?: ReadonlySet<string>,
): FileSetterResult {
  const result: FileSetterResult = { text, changes: [], problems: [] };
  const edits: { start: number; end: number; text: string }[] = [];
  let pending: { setter: string; line: number } | undefined;
  let lineNo = 0;
  for (let lineStart = 0; lineStart <= text.length; lineNo++) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const contentEnd = lineEnd > lineStart && text[lineEnd - 1] === "\r" ? lineEnd - 1 : lineEnd;
    const line = text.slice(lineStart, contentEnd);
    const offset = lineStart;
    lineStart = lineEnd + 1;
    const hash = commentStart(line, type);
    const code = hash < 0 ? line : line.slice(0, hash);
    let setter = hash < 0 ? undefined : parseMarker(line.slice(hash).replace(/^\/\//, "#"));
    if (code.trim() === "") {
      if (setter !== undefined) pending = { setter, line: lineNo };
      continue;
    }
    if (setter === undefined && pending) setter = pending.setter;
    pending = undefined;
    if (setter === undefined || hold?.has(setter)) continue;
    const parts = setter.split(":");
    const ref = parts.length === 2 || parts.length === 3 ? refs.get(`${parts[0]}:${parts[1]}`) : undefined;
    if (!ref || (parts.length === 3 && !PARTS.has(parts[2]!))) {
      result.problems.push({
        kind: "unknown-policy",
        message: `line ${lineNo + 1}: marker names unknown policy "${setter}"`,
      });
      continue;
    }
    const span = markedValue(code, type);
    const token = span && code.slice(span.start, span.end);
    const set =
      token === undefined
        ? undefined
        : setRefPart(token, parts[2] as "name" | "tag" | "digest" | undefined, ref);
    if (!span || !set) {
      result.problems.push({
        kind: "unsupported-value",
        message: `line ${lineNo + 1}: marker "${setter}" is not on an image reference`,
      });
      continue;
    }
    if (set.text === token) continue;
    edits.push({ start: offset + span.start, end: offset + span.end, text: set.text });
    result.changes.push({
      object: NO_OBJECT,
      change: { oldValue: set.oldValue, newValue: set.newValue, setter },
    });
  }
  let out = text;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  result.text = out;
  return result;
}
