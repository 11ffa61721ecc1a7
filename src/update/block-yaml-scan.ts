import { Scalar } from "yaml";
import type { ResourceIdentifier } from "./types.js";

/** A block scalar value that ends its line with a comment: the only place a marker can sit in the subset. */
export interface CommentedScalar {
  /** UTF-16 offsets of the scalar's source, quotes included (as yaml's `range[0..1]`). */
  start: number;
  end: number;
  value: string;
  type: Scalar.PLAIN | Scalar.QUOTE_DOUBLE | Scalar.QUOTE_SINGLE;
  /** The identity of the document holding the scalar (complete once the scan has finished). */
  object: ResourceIdentifier;
}

/**
 * Why this exists: the yaml package costs about 1 ms per file on a cold process, which dominates
 * a run over a large checkout. Most marked files are plain block-style manifests, and for those
 * a line scan proves validity and finds every commented scalar in a fraction of that time.
 *
 * The subset is deliberately narrow: spaces-only indentation, `key: value` and `- value` lines,
 * simple plain/quoted scalars, one-line flat flow collections, `---` separators. Anything else
 * (tabs, anchors, tags, block scalars, multi-line scalars, escapes, duplicate keys, comments that
 * could be markers in a place other than a scalar's own line, ...) makes the scan return
 * undefined, and the caller parses the file with yaml. Accepting only text that yaml parses
 * without errors, with the same values and offsets, is checked by a differential test.
 */
export function scanBlockYaml(text: string): CommentedScalar[] | undefined {
  if (OUTSIDE_SUBSET_CHARS.test(text)) return undefined;
  const scanner = new LineScanner();
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const contentEnd = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    if (!scanner.line(text.slice(lineStart, contentEnd), lineStart)) return undefined;
    lineStart = lineEnd + 1;
  }
  return scanner.scalars;
}

// Tabs, control characters, BOM, NEL, line/paragraph separators, surrogates and lone CRs.
const OUTSIDE_SUBSET_CHARS = /[^\n\r\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]|\r(?!\n)/;
const MAX_LINE = 1000; // yaml limits implicit keys to 1024 characters

const KEY = /([A-Za-z0-9_][A-Za-z0-9_./-]*):(?= |$)/y;
// Plain words may not start with an indicator nor end with `:`; words are joined by spaces.
const WORD = "(?:[A-Za-z0-9_./=+$(~]|-(?=[A-Za-z0-9_./=+-]))[A-Za-z0-9_./=+:@,%$()*&!;~?<>#'\"-]*(?<!:)";
const PLAIN = new RegExp(`${WORD}(?: +${WORD})*`, "y");
const DOUBLE = /"([ !#-[\]-~]*)"/y;
const SINGLE = /'([ -&(-~]*)'/y;
const FLOW_ITEM = String.raw`(?:(?:[A-Za-z0-9_./=+]|-(?=[A-Za-z0-9_./=+]))[A-Za-z0-9_./=+@%-]*|"[ !#-[\]-~]*")`;
const FLOW_KEY = "[A-Za-z0-9_][A-Za-z0-9_./-]*";
const FLOW_SEQ = new RegExp(String.raw`\[ *(?:${FLOW_ITEM}(?: *, *${FLOW_ITEM})*)? *\]`, "y");
const FLOW_MAP = new RegExp(
  String.raw`\{ *(?:${FLOW_KEY}: +${FLOW_ITEM}(?: *, *${FLOW_KEY}: +${FLOW_ITEM})*)? *\}`,
  "y",
);
const FLOW_MAP_KEYS = new RegExp(`(?:[{,] *)(${FLOW_KEY}):`, "g");
const TAIL = / *$| +(#.*)$/y;

type Role = "root" | "metadata" | "other";

interface Level {
  indent: number;
  kind: "map" | "seq";
  keys: Set<string>;
  /** A sequence at the same column as the key holding it (`key:\n- a`). */
  indentless: boolean;
  role: Role;
}

interface Value {
  end: number;
  scalar?: { value: string; type: CommentedScalar["type"] };
  comment: string | undefined;
}

/** One document's block structure, line by line; `line` returns false when leaving the subset. */
class LineScanner {
  readonly scalars: CommentedScalar[] = [];
  private stack: Level[] = [];
  private pending: { indent: number; role: Role } | undefined;
  private hasRoot = false;
  private object: ResourceIdentifier = emptyObject();

  line(line: string, offset: number): boolean {
    if (line.length > MAX_LINE) return false;
    if (line === "---") {
      this.stack = [];
      this.pending = undefined;
      this.hasRoot = false;
      this.object = emptyObject();
      return true;
    }
    let col = 0;
    while (line.charCodeAt(col) === 32) col++;
    if (col === line.length) return true;
    // An own-line comment can become a scalar's head comment; only `{...}` could be a marker.
    if (line[col] === "#") return !line.includes("{", col);
    if (line[col] === "-" && (line[col + 1] === " " || col + 1 === line.length)) {
      const level = this.place(col, "seq");
      let item = col + 1;
      while (line.charCodeAt(item) === 32) item++;
      if (!level || item === line.length || line[item] === "#") return false;
      if (line[item] === "-" && (line[item + 1] === " " || item + 1 === line.length)) return false;
      KEY.lastIndex = item;
      const key = KEY.exec(line);
      if (key) {
        const map: Level = { indent: item, kind: "map", keys: new Set(), indentless: false, role: "other" };
        this.stack.push(map);
        return this.entry(map, key[1]!, line, KEY.lastIndex, offset);
      }
      return this.leaf(line, item, offset) !== undefined;
    }
    KEY.lastIndex = col;
    const key = KEY.exec(line);
    const level = key ? this.place(col, "map") : undefined;
    return level ? this.entry(level, key![1]!, line, KEY.lastIndex, offset) : false;
  }

  /** The level a node of `kind` at column `col` belongs to, opening one where the structure allows. */
  private place(col: number, kind: Level["kind"]): Level | undefined {
    const pending = this.pending;
    this.pending = undefined;
    if (pending && (col > pending.indent || (col === pending.indent && kind === "seq"))) {
      const level = {
        indent: col,
        kind,
        keys: new Set<string>(),
        indentless: col === pending.indent,
        role: pending.role,
      };
      this.stack.push(level);
      return level;
    }
    let top = this.stack.at(-1);
    while (top && (top.indent > col || (top.indent === col && top.indentless && kind === "map"))) {
      this.stack.pop();
      top = this.stack.at(-1);
    }
    if (!top) {
      if (this.hasRoot) return undefined;
      this.hasRoot = true;
      const root = { indent: col, kind, keys: new Set<string>(), indentless: false, role: "root" as const };
      this.stack.push(root);
      return root;
    }
    return top.indent === col && top.kind === kind ? top : undefined;
  }

  /** `key:` then a value, a comment, or nothing (a nested node or null follows). */
  private entry(level: Level, key: string, line: string, afterColon: number, offset: number): boolean {
    if (level.keys.has(key)) return false; // yaml reports duplicate keys; let it
    level.keys.add(key);
    let at = afterColon;
    while (line.charCodeAt(at) === 32) at++;
    if (at === line.length || line[at] === "#") {
      if (line.includes("{", at)) return false;
      const role = level.role === "root" && key === "metadata" ? "metadata" : "other";
      this.pending = { indent: level.indent, role };
      return true;
    }
    const value = this.leaf(line, at, offset);
    if (value === undefined) return false;
    // resourceIdOf reads name/namespace from a flow `metadata` too; not worth duplicating here.
    if (level.role === "root" && key === "metadata" && !value.scalar) return false;
    const text = value.scalar?.value ?? "";
    if (level.role === "root" && (key === "apiVersion" || key === "kind")) this.object[key] = text;
    if (level.role === "metadata" && (key === "name" || key === "namespace")) this.object[key] = text;
    return true;
  }

  /** A scalar or flat flow collection at `at` running to the end of the line (bar a comment). */
  private leaf(line: string, at: number, offset: number): Value | undefined {
    const value = readValue(line, at);
    if (!value) return undefined;
    if (value.comment !== undefined) {
      if (!value.scalar) return value.comment.includes("{") ? undefined : value;
      this.scalars.push({
        start: offset + at,
        end: offset + value.end,
        ...value.scalar,
        object: this.object,
      });
    }
    return value;
  }
}

function emptyObject(): ResourceIdentifier {
  return { apiVersion: "", kind: "", name: "", namespace: "" };
}

function readValue(line: string, at: number): Value | undefined {
  let end: number;
  let scalar: Value["scalar"];
  const c = line[at];
  if (c === '"' || c === "'") {
    const re = c === '"' ? DOUBLE : SINGLE;
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m) return undefined;
    end = re.lastIndex;
    scalar = { value: m[1]!, type: c === '"' ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE };
  } else if (c === "[" || c === "{") {
    const re = c === "[" ? FLOW_SEQ : FLOW_MAP;
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m || (c === "{" && hasDuplicateKey(m[0]))) return undefined;
    end = re.lastIndex;
  } else {
    PLAIN.lastIndex = at;
    const m = PLAIN.exec(line);
    if (!m) return undefined;
    end = PLAIN.lastIndex;
    scalar = { value: m[0], type: Scalar.PLAIN };
  }
  TAIL.lastIndex = end;
  const tail = TAIL.exec(line);
  if (!tail) return undefined;
  return scalar ? { end, scalar, comment: tail[1] } : { end, comment: tail[1] };
}

function hasDuplicateKey(flowMap: string): boolean {
  const keys = new Set<string>();
  for (const m of flowMap.matchAll(FLOW_MAP_KEYS)) {
    if (keys.has(m[1]!)) return true;
    keys.add(m[1]!);
  }
  return false;
}
