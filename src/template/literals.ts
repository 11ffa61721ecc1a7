/** Go's literal syntax inside actions: strconv.Unquote for strings and chars, and number forms. */
import type { Arg } from "./ast.js";
import type { Token } from "./lexer.js";

/** Where a malformed literal is reported: the parser, with Go's error texts and positions. */
export interface LiteralErrors {
  failAt(pos: number, msg: string): never;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** Go's strconv.Unquote for the literals the lexer accepts. */
export function unquote(t: Token, p: LiteralErrors): string {
  if (t.type === "rawString") return t.value.slice(1, -1).replaceAll("\r", "");
  const body = t.value.slice(1, -1);
  return body.replace(
    /\\(?:([abfnrtv\\"'])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})|(.))/g,
    (_m, s, x, u, U, o, bad) => {
      if (s) return SIMPLE_ESCAPES[s as string]!;
      if (x) return String.fromCharCode(Number.parseInt(x, 16));
      if (u) return String.fromCodePoint(Number.parseInt(u, 16));
      if (U) return String.fromCodePoint(Number.parseInt(U, 16));
      if (o) return String.fromCharCode(Number.parseInt(o, 8));
      return p.failAt(t.pos, `invalid syntax in string: unknown escape \\${bad as string}`);
    },
  );
}

export function parseNumber(t: Token, p: LiteralErrors): Arg {
  if (t.type === "charConst") {
    const s = unquote({ ...t, type: "string" }, p);
    const cp = s.codePointAt(0);
    if (cp === undefined || [...s].length !== 1) p.failAt(t.pos, `malformed character constant: ${t.value}`);
    return { kind: "number", pos: t.pos, value: cp, text: t.value, isFloat: false };
  }
  const clean = t.value.replaceAll("_", "");
  const isFloat = /^[+-]?(?:[0-9]*\.[0-9]*|[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]*[eE][+-]?[0-9]+)$/.test(clean);
  let value: number;
  if (/^[+-]?0[bB]/.test(clean)) value = Number.parseInt(clean.replace(/0[bB]/, ""), 2);
  else if (/^[+-]?0[oO]/.test(clean)) value = Number.parseInt(clean.replace(/0[oO]/, ""), 8);
  else if (/^[+-]?0[0-7]+$/.test(clean)) value = Number.parseInt(clean, 8);
  else value = Number(clean);
  if (Number.isNaN(value)) p.failAt(t.pos, `bad number syntax: ${JSON.stringify(t.value)}`);
  return { kind: "number", pos: t.pos, value, text: t.value, isFloat };
}
