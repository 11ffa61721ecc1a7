import { lineOf, TemplateError } from "./errors.js";

export type TokenType =
  | "text"
  | "comment"
  | "leftDelim"
  | "rightDelim"
  | "space"
  | "identifier"
  | "keyword"
  | "field"
  | "variable"
  | "dot"
  | "string"
  | "rawString"
  | "charConst"
  | "number"
  | "bool"
  | "nil"
  | "pipe"
  | "leftParen"
  | "rightParen"
  | "declare"
  | "assign"
  | "char"
  | "eof";

export interface Token {
  type: TokenType;
  value: string;
  pos: number;
}

const KEYWORDS = new Set([
  "block",
  "break",
  "continue",
  "define",
  "else",
  "end",
  "if",
  "range",
  "template",
  "with",
]);
const SPACE = /[ \t\r\n]/;
const ALNUM = /[\p{L}\p{N}_]/u;
// A trimming right delimiter: at least one space, then "-}}".
const TRIM_RIGHT = /[ \t\r\n]+-\}\}/y;

/**
 * Splits a template into tokens like Go's text/template lexer (fixed `{{ }}` delimiters,
 * `{{-`/`-}}` trim markers, comments, newlines allowed inside actions).
 */
export function lex(name: string, text: string): Token[] {
  const tokens: Token[] = [];
  const fail = (pos: number, msg: string): never => {
    throw new TemplateError(`template: ${name}:${lineOf(text, pos)}: ${msg}`);
  };
  let pos = 0;
  let trimNextText = false;
  while (pos <= text.length) {
    const open = text.indexOf("{{", pos);
    let segment = text.slice(pos, open < 0 ? text.length : open);
    if (trimNextText) segment = segment.replace(/^[ \t\r\n]+/, "");
    trimNextText = false;
    const trimLeft = open >= 0 && text[open + 2] === "-" && SPACE.test(text[open + 3] ?? "");
    if (trimLeft) segment = segment.replace(/[ \t\r\n]+$/, "");
    if (segment) tokens.push({ type: "text", value: segment, pos });
    if (open < 0) break;
    pos = open + 2 + (trimLeft ? 2 : 0);
    if (text.startsWith("/*", pos)) {
      const close = text.indexOf("*/", pos + 2);
      if (close < 0) fail(open, "unclosed comment");
      tokens.push({ type: "comment", value: text.slice(pos, close + 2), pos: open });
      pos = close + 2;
      TRIM_RIGHT.lastIndex = pos;
      const m = TRIM_RIGHT.exec(text);
      if (m) {
        pos += m[0].length;
        trimNextText = true;
      } else if (text.startsWith("}}", pos)) pos += 2;
      else fail(open, "comment ends before closing delimiter");
      continue;
    }
    tokens.push({ type: "leftDelim", value: "{{", pos: open });
    pos = lexAction(text, pos, tokens, fail, () => {
      trimNextText = true;
    });
  }
  tokens.push({ type: "eof", value: "", pos: text.length });
  return tokens;
}

function lexAction(
  text: string,
  start: number,
  tokens: Token[],
  fail: (pos: number, msg: string) => never,
  onTrimRight: () => void,
): number {
  let pos = start;
  let parenDepth = 0;
  const push = (type: TokenType, from: number, to: number): void => {
    tokens.push({ type, value: text.slice(from, to), pos: from });
  };
  for (;;) {
    TRIM_RIGHT.lastIndex = pos;
    const trim = TRIM_RIGHT.exec(text);
    if (trim) {
      if (parenDepth) fail(pos, "unclosed left paren");
      tokens.push({ type: "rightDelim", value: "}}", pos: pos + trim[0].length - 2 });
      onTrimRight();
      return pos + trim[0].length;
    }
    if (text.startsWith("}}", pos)) {
      if (parenDepth) fail(pos, "unclosed left paren");
      tokens.push({ type: "rightDelim", value: "}}", pos });
      return pos + 2;
    }
    const c = text[pos];
    if (c === undefined) fail(start, "unclosed action");
    const ch = c as string;
    const from = pos;
    if (SPACE.test(ch)) {
      while (pos < text.length && SPACE.test(text[pos]!) && !startsTrimRight(text, pos)) pos++;
      if (pos === from) pos++;
      push("space", from, pos);
    } else if (ch === "=") {
      push("assign", from, ++pos);
    } else if (ch === ":") {
      if (text[pos + 1] !== "=") fail(pos, "expected :=");
      pos += 2;
      push("declare", from, pos);
    } else if (ch === "|") {
      push("pipe", from, ++pos);
    } else if (ch === '"') {
      pos++;
      while (text[pos] !== '"') {
        if (text[pos] === "\\") pos++;
        if (pos >= text.length || text[pos] === "\n") fail(from, "unterminated quoted string");
        pos++;
      }
      push("string", from, ++pos);
    } else if (ch === "`") {
      const close = text.indexOf("`", pos + 1);
      if (close < 0) fail(from, "unterminated raw quoted string");
      pos = close + 1;
      push("rawString", from, pos);
    } else if (ch === "'") {
      pos++;
      while (text[pos] !== "'") {
        if (text[pos] === "\\") pos++;
        if (pos >= text.length || text[pos] === "\n") fail(from, "unterminated character constant");
        pos++;
      }
      push("charConst", from, ++pos);
    } else if (ch === "$") {
      pos++;
      while (pos < text.length && ALNUM.test(text[pos]!)) pos++;
      push("variable", from, pos);
    } else if (ch === "." && /[0-9]/.test(text[pos + 1] ?? "")) {
      pos = lexNumber(text, pos);
      push("number", from, pos);
    } else if (ch === ".") {
      pos++;
      if (pos < text.length && ALNUM.test(text[pos]!)) {
        while (pos < text.length && ALNUM.test(text[pos]!)) pos++;
        push("field", from, pos);
      } else push("dot", from, pos);
    } else if (/[0-9]/.test(ch) || ((ch === "-" || ch === "+") && /[0-9.]/.test(text[pos + 1] ?? ""))) {
      pos = lexNumber(text, pos);
      push("number", from, pos);
    } else if (ALNUM.test(ch)) {
      while (pos < text.length && ALNUM.test(text[pos]!)) pos++;
      const word = text.slice(from, pos);
      const type: TokenType = KEYWORDS.has(word)
        ? "keyword"
        : word === "true" || word === "false"
          ? "bool"
          : word === "nil"
            ? "nil"
            : "identifier";
      push(type, from, pos);
    } else if (ch === "(") {
      parenDepth++;
      push("leftParen", from, ++pos);
    } else if (ch === ")") {
      if (--parenDepth < 0) fail(pos, "unexpected right paren");
      push("rightParen", from, ++pos);
    } else if (ch === ",") {
      push("char", from, ++pos);
    } else {
      fail(pos, `unrecognized character in action: ${JSON.stringify(ch)}`);
    }
  }
}

function startsTrimRight(text: string, pos: number): boolean {
  TRIM_RIGHT.lastIndex = pos;
  return TRIM_RIGHT.test(text);
}

function lexNumber(text: string, start: number): number {
  const m =
    /[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)/y;
  m.lastIndex = start;
  const r = m.exec(text);
  const end = r ? start + r[0].length : start + 1;
  return Math.max(end, start + 1);
}
