import { arity, FuncError, int, type TemplateFunc } from "./funcs.js";
import { sprint, sprintf, sprintln } from "./printf.js";
import { compareStrings, GO_MAP_ZERO, type GoMap, isTrue, typeName } from "./values.js";

type Kind = "bool" | "int" | "float" | "string" | "nil" | "other";

function kindOf(v: unknown): Kind {
  if (v === undefined || v === null) return "nil";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "string";
  return "other";
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new FuncError("missing argument for comparison");
  const ka = kindOf(a);
  for (const b of rest) {
    const kb = kindOf(b);
    const numeric = (ka === "int" || ka === "float") && (kb === "int" || kb === "float");
    if (ka !== kb && !numeric) {
      if (ka !== "nil" && kb !== "nil") throw new FuncError("incompatible types for comparison");
      continue;
    }
    if (ka === "other") throw new FuncError(`non-comparable type ${typeName(a)}`);
    if (a === b || (ka === "nil" && kb === "nil")) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === "string" && kb === "string") return compareStrings(a as string, b as string) < 0;
  if ((ka === "int" || ka === "float") && (kb === "int" || kb === "float"))
    return (a as number) < (b as number);
  if (ka !== kb) throw new FuncError("incompatible types for comparison");
  throw new FuncError("invalid type for comparison");
}

function htmlEscape(s: string): string {
  return s.replace(
    /[\0"'&<>]/g,
    (c) => ({ "\0": "\uFFFD", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!,
  );
}

function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\" || ch === "'" || ch === '"') out += `\\${ch}`;
    else if (ch === "<" || ch === ">" || ch === "&" || ch === "=")
      out += `\\u00${cp.toString(16).toUpperCase()}`;
    else if (cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}

function urlQueryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (v === null || v === undefined) throw new FuncError("index of untyped nil");
    if (Array.isArray(v) || typeof v === "string") {
      const i = int(k);
      const len = typeof v === "string" ? Buffer.byteLength(v) : v.length;
      if (i < 0 || i >= len) throw new FuncError(`error calling index: index out of range: ${i}`);
      v = typeof v === "string" ? Buffer.from(v)[i] : v[i];
    } else if (v instanceof Map) {
      const m = v as GoMap;
      v = m.has(k) ? m.get(k) : m[GO_MAP_ZERO];
    } else {
      throw new FuncError(`can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  const n = idx.map(int);
  if (typeof item === "string") {
    if (n.length === 3) throw new FuncError("cannot 3-index slice a string");
    const buf = Buffer.from(item);
    const [i = 0, j = buf.length] = n;
    if (i < 0 || j > buf.length || i > j) throw new FuncError(`index out of range: ${j}`);
    return buf.subarray(i, j).toString("utf8");
  }
  if (Array.isArray(item)) {
    const [i = 0, j = item.length] = n;
    if (i < 0 || j > item.length || i > j) throw new FuncError(`index out of range: ${j}`);
    return item.slice(i, j);
  }
  throw new FuncError(`can't slice item of type ${typeName(item)}`);
}

function len(v: unknown): number {
  if (typeof v === "string") return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  throw new FuncError(`len of type ${typeName(v)}`);
}

/** text/template's predefined functions (`and`/`or` are evaluated lazily by the executor). */
export const BUILTINS: Record<string, TemplateFunc> = {
  eq,
  ne: (a, b) => {
    arity("ne", [a, b], 2);
    return !eq(a, b);
  },
  lt: (a, b) => lt(a, b),
  le: (a, b) => lt(a, b) || eq(a, b),
  gt: (a, b) => !lt(a, b) && !eq(a, b),
  ge: (a, b) => !lt(a, b),
  not: (...a) => {
    arity("not", a, 1);
    return !isTrue(a[0]);
  },
  len: (...a) => {
    arity("len", a, 1);
    return len(a[0]);
  },
  index: (item, ...keys) => index(item, ...keys),
  slice: (item, ...idx) => slice(item, ...idx),
  print: (...a) => sprint(a),
  println: (...a) => sprintln(a),
  printf: (...a) => {
    arity("printf", a, 1, Number.POSITIVE_INFINITY);
    if (typeof a[0] !== "string")
      throw new FuncError(`wrong type for value; expected string; got ${typeName(a[0])}`);
    return sprintf(a[0], a.slice(1));
  },
  html: (...a) => htmlEscape(sprint(a)),
  js: (...a) => jsEscape(sprint(a)),
  urlquery: (...a) => urlQueryEscape(sprint(a)),
  call: () => {
    throw new FuncError("call of non-function: template data holds no functions");
  },
};
