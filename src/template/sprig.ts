import { createHash } from "node:crypto";
import { arity, FuncError, int, str, type TemplateFunc } from "./funcs.js";
import { goQuote } from "./printf.js";
import { compareStrings, formatValue, GO_STRING, goMap, isStruct, isTrue, sortedEntries } from "./values.js";

/** Sprig's strval: strings as they are, everything else as fmt `%v`. */
function strval(v: unknown): string {
  if (typeof v === "string") return v;
  if (isStruct(v) && v[GO_STRING]) return v[GO_STRING].call(v);
  return formatValue(v);
}

function list(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new FuncError(`cannot ${fn} on type ${v === null || v === undefined ? "nil" : typeof v}`);
}

/** Sprig's `empty`: Go zero values. */
function empty(v: unknown): boolean {
  return !isTrue(v);
}

/** Go's strings.Title: upper-cases the first letter of every word. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

function indent(n: number, s: string): string {
  const pad = " ".repeat(n);
  return pad + s.replaceAll("\n", `\n${pad}`);
}

/** Go's encoding/json escapes <, > and & for HTML safety; keep that for byte-equal output. */
function toJson(v: unknown): string {
  const plain = (x: unknown): unknown => {
    if (x instanceof Map) return Object.fromEntries(sortedEntries(x).map(([k, e]) => [strval(k), plain(e)]));
    if (Array.isArray(x)) return x.map(plain);
    if (isStruct(x)) return Object.fromEntries(Object.entries(x).map(([k, e]) => [k, plain(e)]));
    return x === undefined ? null : x;
  };
  return (JSON.stringify(plain(v)) ?? "null").replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function runes(s: string): string[] {
  return [...s];
}

/**
 * The hermetic subset of Sprig (github.com/Masterminds/sprig `HermeticTxtFuncMap`) that Flux
 * users' commit templates use; argument order follows Sprig (the piped value comes last).
 */
export const SPRIG: Record<string, TemplateFunc> = {
  trim: (s) => str(s).trim(),
  trimAll: (c, s) => {
    const chars = new Set(runes(str(c)));
    const r = runes(str(s));
    let i = 0;
    let j = r.length;
    while (i < j && chars.has(r[i]!)) i++;
    while (j > i && chars.has(r[j - 1]!)) j--;
    return r.slice(i, j).join("");
  },
  trimPrefix: (p, s) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimSuffix: (p, s) => (str(p) !== "" && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  upper: (s) => str(s).toUpperCase(),
  lower: (s) => str(s).toLowerCase(),
  title: (s) => title(str(s)),
  untitle: (s) =>
    str(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toLowerCase()),
  replace: (o, n, s) => str(s).replaceAll(str(o), str(n)),
  contains: (sub, s) => str(s).includes(str(sub)),
  hasPrefix: (p, s) => str(s).startsWith(str(p)),
  hasSuffix: (p, s) => str(s).endsWith(str(p)),
  nospace: (s) => str(s).replace(/\s+/gu, ""),
  repeat: (n, s) => str(s).repeat(Math.max(0, int(n))),
  substr: (start, end, s) => {
    const r = runes(str(s));
    const a = int(start);
    const b = int(end);
    if (a < 0) return r.slice(0, b).join("");
    if (b < 0 || b > r.length) return r.slice(a).join("");
    return r.slice(a, b).join("");
  },
  trunc: (n, s) => {
    const c = int(n);
    const v = str(s);
    if (c < 0 && v.length + c > 0) return v.slice(v.length + c);
    if (c >= 0 && v.length > c) return v.slice(0, c);
    return v;
  },
  abbrev: (w, s) => {
    const width = int(w);
    const v = str(s);
    return width < 4 || v.length <= width ? v : `${v.slice(0, width - 3)}...`;
  },
  join: (sep, l) => (Array.isArray(l) ? l.map(strval).join(str(sep)) : strval(l)),
  split: (sep, s) =>
    goMap(
      str(s)
        .split(str(sep))
        .map((p, i) => [`_${i}`, p] as const),
      "",
    ),
  splitList: (sep, s) => str(s).split(str(sep)),
  splitn: (sep, n, s) => {
    const parts = str(s).split(str(sep));
    const c = int(n);
    const head = parts.slice(0, c - 1);
    const rest = parts.slice(c - 1).join(str(sep));
    return goMap(
      [...head, rest].map((p, i) => [`_${i}`, p] as const),
      "",
    );
  },
  cat: (...a) =>
    a
      .filter((x) => x !== null && x !== undefined)
      .map(strval)
      .join(" "),
  quote: (...a) =>
    a
      .filter((x) => x !== null && x !== undefined)
      .map((x) => goQuote(strval(x)))
      .join(" "),
  squote: (...a) =>
    a
      .filter((x) => x !== null && x !== undefined)
      .map((x) => `'${strval(x)}'`)
      .join(" "),
  indent: (n, s) => indent(int(n), str(s)),
  nindent: (n, s) => `\n${indent(int(n), str(s))}`,
  toString: (v: unknown) => strval(v),
  toStrings: (v) => list(v, "toStrings").map(strval),
  toJson: (v) => toJson(v),
  list: (...a) => a,
  dict: (...a) => {
    const m = goMap<unknown>([], undefined);
    for (let i = 0; i < a.length; i += 2) m.set(strval(a[i]), i + 1 < a.length ? a[i + 1] : "");
    return m;
  },
  get: (m, k) => (m instanceof Map ? (m.get(str(k)) ?? "") : ""),
  hasKey: (m, k) => m instanceof Map && m.has(str(k)),
  keys: (...maps) => {
    const out: unknown[] = [];
    for (const m of maps) if (m instanceof Map) out.push(...sortedEntries(m).map(([k]) => k));
    return out;
  },
  values: (m) => (m instanceof Map ? sortedEntries(m).map(([, v]) => v) : []),
  sortAlpha: (l) => (Array.isArray(l) ? l.map(strval).sort(compareStrings) : [strval(l)]),
  uniq: (l) => {
    const out: unknown[] = [];
    for (const v of list(l, "uniq")) if (!out.includes(v)) out.push(v);
    return out;
  },
  first: (l) => (Array.isArray(l) ? l[0] : undefined) ?? null,
  last: (l) => (Array.isArray(l) ? l[l.length - 1] : undefined) ?? null,
  rest: (l) => list(l, "rest").slice(1),
  initial: (l) => list(l, "initial").slice(0, -1),
  reverse: (l) => [...list(l, "reverse")].reverse(),
  compact: (l) => list(l, "compact").filter(isTrue),
  append: (l, v) => [...list(l, "append"), v],
  prepend: (l, v) => [v, ...list(l, "prepend")],
  has: (needle, l) => Array.isArray(l) && l.some((x) => x === needle),
  without: (l, ...omit) => list(l, "without").filter((x) => !omit.includes(x)),
  default: (...a) => {
    arity("default", a, 1, 2);
    return a.length === 2 && !empty(a[1]) ? a[1] : a[0];
  },
  empty: (v) => empty(v),
  coalesce: (...a) => a.find((x) => !empty(x)) ?? null,
  ternary: (t, f, c) => (c === true ? t : f),
  plural: (one, many, n) => (int(n) === 1 ? str(one) : str(many)),
  add: (...a) => a.reduce<number>((s, x) => s + int(x), 0),
  sub: (a, b) => int(a) - int(b),
  mul: (...a) => a.reduce<number>((s, x) => s * int(x), 1),
  div: (a, b) => {
    if (int(b) === 0) throw new FuncError("integer divide by zero");
    return Math.trunc(int(a) / int(b));
  },
  mod: (a, b) => {
    if (int(b) === 0) throw new FuncError("integer divide by zero");
    return int(a) % int(b);
  },
  max: (...a) => Math.max(...a.map(int)),
  min: (...a) => Math.min(...a.map(int)),
  b64enc: (s) => Buffer.from(str(s), "utf8").toString("base64"),
  b64dec: (s) => Buffer.from(str(s), "base64").toString("utf8"),
  sha256sum: (s) => createHash("sha256").update(str(s), "utf8").digest("hex"),
};
