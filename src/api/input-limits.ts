/**
 * Limits on input, in one place: every way a manifest comes in (`apply -f` files, directories and
 * stdin, `create` flags, objects synced from Git) is held to these before the expensive work
 * (YAML parsing, validation, storing). The object limits are Kubernetes' own, so that what
 * imagectl accepts a cluster would accept too:
 *
 * - an object is at most 1.5 MiB (etcd's request limit, which the API server enforces);
 * - annotations total at most 256 KiB, keys and values counted (apimachinery's
 *   TotalAnnotationSizeLimitB);
 * - label keys and values, names and namespaces follow names.ts.
 *
 * The others bound what a YAML file can make a parser do: file size, documents per file, nesting
 * depth and aliases. Checks on bytes and text here are single linear scans; the YAML tree is
 * checked by yaml-checks.ts, the object by `checkObjectLimits`.
 */
import { isUtf8 } from "node:buffer";
import type { ValidationIssue } from "./issues.js";
import type { ObjectProblem } from "./rule-problems.js";

const KiB = 1024;
const MiB = 1024 * KiB;

export const INPUT_LIMITS = {
  /** One manifest file, or stdin. Checked from the file's size, before it is read. */
  fileBytes: 32 * MiB,
  /** One YAML document; an object of Kubernetes' largest size fits with room for comments. */
  documentBytes: 2 * MiB,
  /** One object as JSON: Kubernetes' limit. */
  objectBytes: 1.5 * MiB,
  /** metadata.annotations, keys and values together: Kubernetes' limit. */
  annotationBytes: 256 * KiB,
  /** Documents in one file, and objects in one `apply`. */
  documents: 10_000,
  /** Nested mappings and sequences, flow (`[[[`) or block. Flux objects need fewer than 10. */
  depth: 64,
  /** YAML aliases (`*ref`) in one document (yaml's own default; stops "billion laughs"). */
  aliases: 100,
  /** Characters of a rejected value quoted in a message. */
  echoChars: 64,
} as const;

/** `1.5 MiB`, `256 KiB`, `900 bytes`: sizes in messages. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${trim(n / MiB)} MiB`;
  if (n >= KiB) return `${trim(n / KiB)} KiB`;
  return `${n} bytes`;
}

function trim(x: number): string {
  return x.toFixed(1).replace(/\.0$/, "");
}

/**
 * A value quoted for a message, clipped: a 10,000-character name must not come back whole.
 * `"aaaa…" (10000 characters)`.
 */
export function quote(value: string, max: number = INPUT_LIMITS.echoChars): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(`${value.slice(0, max)}…`)} (${value.length} characters)`;
}

/** Text inside a field name (a label key), clipped as quote() clips values. */
export function clip(text: string, max: number = INPUT_LIMITS.echoChars): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** An input that breaks a limit before it could be parsed: where it is and what is wrong. */
export interface LimitProblem {
  /** 1-based document, when known. */
  document?: number;
  line?: number;
  message: string;
}

/**
 * Manifest bytes to text: size and UTF-8 checked first. Invalid UTF-8 is an error naming its byte
 * offset, document and line (decoding would turn it into U+FFFD without a word).
 */
export function decodeManifestBytes(bytes: Uint8Array): { text?: string; problem?: LimitProblem } {
  if (bytes.length > INPUT_LIMITS.fileBytes) return { problem: { message: tooLarge("file", bytes.length) } };
  if (isUtf8(bytes))
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8") };
  const offset = invalidUtf8Offset(bytes);
  const before = Buffer.from(bytes.buffer, bytes.byteOffset, offset).toString("utf8");
  const at = scanManifest(before);
  return {
    problem: {
      document: at.documents.length,
      line: at.lines,
      message: `invalid UTF-8 at byte offset ${offset} (byte 0x${bytes[offset]?.toString(16).padStart(2, "0")}); save the file as UTF-8`,
    },
  };
}

export function tooLarge(what: string, size: number, limit: number = INPUT_LIMITS.fileBytes): string {
  return `${what} is ${formatBytes(size)}; the limit is ${formatBytes(limit)}`;
}

/** First byte offset where `bytes` stops being UTF-8 (overlongs, surrogates and > U+10FFFF included). */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}

/** What one pass over manifest text finds: documents with their first line, size and flow depth. */
interface TextScan {
  documents: { line: number; bytes: number; depth: number; depthLine: number }[];
  /** Lines seen (1-based number of the last line). */
  lines: number;
}

/**
 * One pass: splits at `---` lines as YAML does (a `---` at the start of a line always begins a
 * document; the first one opens document 1 when nothing but comments came before), counts each
 * document's UTF-8 bytes and its deepest `[`/`{` nesting outside quotes and comments. Cheap
 * enough to run before every parse; it exists so that a parser never sees a 10 MB document or a
 * million nested brackets.
 */
export function scanManifest(text: string): TextScan {
  const docs: TextScan["documents"] = [{ line: 1, bytes: 0, depth: 0, depthLine: 1 }];
  let cur = docs[0]!;
  let line = 1;
  let content = false; // anything but comments and blank lines before the first `---`
  let markerSeen = false;
  let lineStart = true;
  let depth = 0;
  let quoteChar = 0;
  let comment = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (lineStart && c === 45 && text.startsWith("---", i) && isBreak(text.charCodeAt(i + 3))) {
      if (content || markerSeen) {
        cur = { line, bytes: 0, depth: 0, depthLine: line };
        docs.push(cur);
      }
      markerSeen = true;
      depth = 0;
      quoteChar = 0;
    }
    cur.bytes +=
      c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 2 : c >= 0xdc00 && c <= 0xdfff ? 2 : 3;
    if (c === 10) {
      line++;
      lineStart = true;
      comment = false;
      continue;
    }
    const wasStart = lineStart;
    lineStart = false;
    if (comment) continue;
    if (quoteChar !== 0) {
      if (escaped) escaped = false;
      else if (c === 92 && quoteChar === 34)
        escaped = true; // \" inside double quotes
      else if (c === quoteChar) quoteChar = 0;
      continue;
    }
    if (c === 35 && (wasStart || isSpace(text.charCodeAt(i - 1)))) {
      comment = true;
      continue;
    }
    if (c !== 32 && c !== 9 && c !== 13) content = true;
    // A quote opens a scalar only where a token starts (`it's` is a plain scalar).
    if ((c === 34 || c === 39) && (wasStart || opensToken(text.charCodeAt(i - 1)))) quoteChar = c;
    // `[` and `{` open a collection where a token starts, or anywhere inside one (`a[0]` is a scalar).
    else if ((c === 91 || c === 123) && (depth > 0 || wasStart || afterSeparator(text.charCodeAt(i - 1)))) {
      depth++;
      if (depth > cur.depth) {
        cur.depth = depth;
        cur.depthLine = line;
      }
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return { documents: docs, lines: line };
}

function isBreak(c: number): boolean {
  return Number.isNaN(c) || c === 10 || c === 13 || c === 32 || c === 9;
}

function afterSeparator(c: number): boolean {
  return c === 32 || c === 9 || c === 58 || c === 44;
}

function opensToken(c: number): boolean {
  return c === 32 || c === 9 || c === 91 || c === 123 || c === 44 || c === 58;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** The limits a manifest's text breaks, found before parsing: document count, size and flow depth. */
export function checkManifestText(text: string): LimitProblem[] {
  if (text.length > INPUT_LIMITS.fileBytes) return [{ message: tooLarge("file", Buffer.byteLength(text)) }];
  const scan = scanManifest(text);
  const problems: LimitProblem[] = [];
  if (scan.documents.length > INPUT_LIMITS.documents) {
    problems.push({
      message: `${scan.documents.length} documents; the limit is ${INPUT_LIMITS.documents} per file`,
    });
    return problems;
  }
  scan.documents.forEach((d, i) => {
    if (d.bytes > INPUT_LIMITS.documentBytes) {
      problems.push({
        document: i + 1,
        line: d.line,
        message: `${tooLarge("document", d.bytes, INPUT_LIMITS.documentBytes)}, an object at most ${formatBytes(INPUT_LIMITS.objectBytes)} (Kubernetes' limit)`,
      });
    } else if (d.depth > INPUT_LIMITS.depth) {
      problems.push({
        document: i + 1,
        line: d.depthLine,
        message: `nesting deeper than ${INPUT_LIMITS.depth} levels`,
      });
    }
  });
  return problems;
}

/** LimitProblems as issues of a manifest file. */
export function limitIssues(
  problems: readonly LimitProblem[],
  source: string | undefined,
): ValidationIssue[] {
  return problems.map((p) => ({
    object: "",
    field: "",
    message: p.message,
    ...(source !== undefined ? { source } : {}),
    ...(p.document !== undefined ? { document: p.document } : {}),
    ...(p.line !== undefined ? { line: p.line } : {}),
  }));
}

/**
 * The limits of a decoded object (from a manifest or flags): its size as JSON, its annotations'
 * total size, and text that carries U+FFFD, the mark of invalid UTF-8 replaced on decoding (a
 * flag's bytes are decoded by Node before imagectl sees them). Runs before the shape and rule
 * checks, and when the object is too large nothing else is checked.
 */
export function checkObjectLimits(obj: Record<string, unknown>): ObjectProblem[] {
  const json = JSON.stringify(obj);
  const size = Buffer.byteLength(json);
  if (size > INPUT_LIMITS.objectBytes) {
    return [
      {
        path: [],
        field: "",
        message: `${tooLarge("object", size, INPUT_LIMITS.objectBytes)} (Kubernetes' limit)`,
      },
    ];
  }
  const problems: ObjectProblem[] = [];
  const meta = obj.metadata;
  const annotations =
    meta !== null && typeof meta === "object" ? (meta as { annotations?: unknown }).annotations : undefined;
  if (annotations !== null && typeof annotations === "object") {
    let total = 0;
    for (const [k, v] of Object.entries(annotations))
      total += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
    if (total > INPUT_LIMITS.annotationBytes) {
      problems.push({
        path: ["metadata", "annotations"],
        field: "metadata.annotations",
        message: `${tooLarge("annotations total", total, INPUT_LIMITS.annotationBytes)} (Kubernetes' limit)`,
      });
    }
  }
  if (json.includes("\ufffd")) findReplacementChar(obj, [], problems);
  return problems;
}

function findReplacementChar(value: unknown, path: (string | number)[], out: ObjectProblem[]): void {
  if (typeof value === "string") {
    const at = value.indexOf("\ufffd");
    if (at >= 0) {
      out.push({
        path,
        field: fieldOf(path),
        message: `contains U+FFFD at character ${at}, the mark of invalid UTF-8 replaced on decoding; give valid UTF-8`,
      });
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) findReplacementChar(v, [...path, i], out);
    return;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\ufffd")) {
        out.push({
          path: [...path, k],
          field: fieldOf([...path, k]),
          message: "key contains U+FFFD, the mark of invalid UTF-8; give valid UTF-8",
        });
        continue;
      }
      findReplacementChar(v, [...path, k], out);
    }
  }
}

/** `metadata.labels[app]`, `spec.exclusionList[2]`: map keys under labels/annotations in brackets. */
function fieldOf(path: (string | number)[]): string {
  let out = "";
  path.forEach((s, i) => {
    if (typeof s === "number") out += `[${s}]`;
    else if (i === 2 && path[0] === "metadata" && (path[1] === "labels" || path[1] === "annotations"))
      out += `[${clip(s)}]`;
    else out += i === 0 ? s : `.${s}`;
  });
  return out;
}
