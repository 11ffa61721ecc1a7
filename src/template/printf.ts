import { formatFloat, formatValue, GO_STRING, isStruct, typeName } from "./values.js";

/** Go's strconv.Quote (printable Unicode kept, control characters escaped). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  sharp: boolean;
  space: boolean;
  width?: number;
  prec?: number;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (spec.minus) return s + " ".repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+-]/.test(s) ? s[0]! : "";
    return sign + "0".repeat(w - len) + s.slice(sign.length);
  }
  return " ".repeat(w - len) + s;
}

function bad(verb: string, v: unknown): string {
  return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
}

function asString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (isStruct(v) && v[GO_STRING]) return v[GO_STRING].call(v);
  return undefined;
}

function formatOne(verb: string, v: unknown, spec: Spec): string {
  if (Array.isArray(v) && verb !== "v")
    return `[${v.map((e) => formatOne(verb, e, { ...spec, width: undefined })).join(" ")}]`;
  switch (verb) {
    case "v":
      return pad(formatValue(v, spec.plus), spec, false);
    case "s": {
      const s =
        asString(v) ??
        (v === null || v === undefined
          ? undefined
          : isStruct(v) || v instanceof Map
            ? formatValue(v)
            : undefined);
      if (s === undefined) return bad(verb, v);
      return pad(spec.prec === undefined ? s : [...s].slice(0, spec.prec).join(""), spec, false);
    }
    case "q": {
      const s = asString(v);
      if (s !== undefined) return pad(goQuote(s), spec, false);
      if (typeof v === "number" && Number.isInteger(v))
        return pad(`'${String.fromCodePoint(v)}'`, spec, false);
      return bad(verb, v);
    }
    case "d":
      if (typeof v !== "number" || !Number.isInteger(v)) return bad(verb, v);
      return pad(spec.plus && v >= 0 ? `+${v}` : String(v), spec, true);
    case "x":
    case "X": {
      let out: string;
      const s = asString(v);
      if (s !== undefined) out = Buffer.from(s, "utf8").toString("hex");
      else if (typeof v === "number" && Number.isInteger(v))
        out = (v < 0 ? "-" : "") + Math.abs(v).toString(16);
      else return bad(verb, v);
      if (spec.sharp) out = `0x${out}`;
      return pad(verb === "X" ? out.toUpperCase() : out, spec, true);
    }
    case "t":
      return typeof v === "boolean" ? pad(String(v), spec, false) : bad(verb, v);
    case "c":
      return typeof v === "number" && Number.isInteger(v)
        ? pad(String.fromCodePoint(v), spec, false)
        : bad(verb, v);
    case "f":
    case "F":
    case "e":
    case "g": {
      if (typeof v !== "number") return bad(verb, v);
      let out: string;
      if (verb === "g")
        out = spec.prec === undefined ? formatFloat(v) : String(Number(v.toPrecision(spec.prec)));
      else if (verb === "e") {
        const [m, e] = v.toExponential(spec.prec ?? 6).split("e") as [string, string];
        out = `${m}e${e[0]}${e.slice(1).padStart(2, "0")}`;
      } else out = v.toFixed(spec.prec ?? 6);
      if (spec.plus && v >= 0) out = `+${out}`;
      return pad(out, spec, true);
    }
    default:
      return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
  }
}

/** Go's fmt.Sprintf for the verbs templates use: %v %+v %s %q %d %x %X %t %c %f %e %g %%. */
export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argi = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?(.)?/gsu;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const flags = m[1] ?? "";
    const verb = m[4];
    if (verb === undefined) {
      out += "%!(NOVERB)";
      continue;
    }
    if (verb === "%") {
      out += "%";
      continue;
    }
    const spec: Spec = {
      minus: flags.includes("-"),
      plus: flags.includes("+"),
      zero: flags.includes("0"),
      sharp: flags.includes("#"),
      space: flags.includes(" "),
    };
    if (m[2] === "*") spec.width = Number(args[argi++]);
    else if (m[2] !== undefined) spec.width = Number(m[2]);
    if (m[3] === "*") spec.prec = Number(args[argi++]);
    else if (m[3] !== undefined) spec.prec = Number(m[3]);
    else if (m[0].includes(".")) spec.prec = 0;
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++], spec);
  }
  out += format.slice(last);
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a)}=${formatValue(a)}`)
      .join(", ")})`;
  }
  return out;
}

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(a);
  });
  return out;
}

export function sprintln(args: unknown[]): string {
  return `${args.map((a) => formatValue(a)).join(" ")}\n`;
}
