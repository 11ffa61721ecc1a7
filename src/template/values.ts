/**
 * How JavaScript data stands for Go values in templates:
 * - `Map` is a Go map (ranged in sorted key order, missing keys give `<no value>`);
 * - a plain object is a Go struct (fields in insertion order; a missing field is an error);
 * - arrays are slices; `null` is nil; `undefined` is Go's "no value" (invalid reflect.Value);
 * - numbers are ints when integral, float64 otherwise.
 * Objects may carry a Go `String()` method under GO_STRING and a Go type name under GO_TYPE.
 */
export const GO_STRING: unique symbol = Symbol.for("imagectl.template.String");
export const GO_TYPE: unique symbol = Symbol.for("imagectl.template.Type");
/** Zero value of a Go map's element type (what `index` returns for a missing key). */
export const GO_MAP_ZERO: unique symbol = Symbol.for("imagectl.template.MapZero");

export type Struct = { [key: string]: unknown; [GO_STRING]?: () => string; [GO_TYPE]?: string };
export type GoMap = Map<unknown, unknown> & { [GO_MAP_ZERO]?: unknown };

export function isStruct(v: unknown): v is Struct {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Map);
}

/** A Go map with a known element zero value. */
export function goMap<V>(entries: Iterable<readonly [unknown, V]>, zero: V): GoMap {
  const m: GoMap = new Map(entries);
  m[GO_MAP_ZERO] = zero;
  return m;
}

export function typeName(v: unknown): string {
  if (v === undefined || v === null) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (Array.isArray(v)) return "[]interface {}";
  if (v instanceof Map) return "map[string]interface {}";
  if (typeof v === "function") return "func";
  if (isStruct(v)) return v[GO_TYPE] ?? "struct";
  return typeof v;
}

/** Go's truth: zero values are false, structs are always true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v !== "";
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** Go's string ordering: by UTF-8 bytes. */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Order of map keys as Go's fmtsort: numbers, strings, bools, then structs field by field. */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (isStruct(a) && isStruct(b)) {
    for (const k of Object.keys(a)) {
      const c = compareKeys(a[k], b[k]);
      if (c !== 0) return c;
    }
    return 0;
  }
  return compareStrings(typeName(a), typeName(b));
}

export function sortedEntries(m: Map<unknown, unknown>): [unknown, unknown][] {
  return [...m.entries()].sort((x, y) => compareKeys(x[0], y[0]));
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), as `%v` prints a float64. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mant, expStr] = f.toExponential().split("e") as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 21) {
    const sign = exp < 0 ? "-" : "+";
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(f);
}

/** fmt's `%v` (or `%+v` with plus) of a value. */
export function formatValue(v: unknown, plus = false): string {
  if (v === undefined || v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : formatFloat(v);
  if (typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `[${v.map((e) => formatValue(e, plus)).join(" ")}]`;
  if (v instanceof Map) {
    return `map[${sortedEntries(v)
      .map(([k, e]) => `${formatValue(k, plus)}:${formatValue(e, plus)}`)
      .join(" ")}]`;
  }
  if (isStruct(v)) {
    const str = v[GO_STRING];
    if (str) return str.call(v);
    const fields = Object.entries(v).map(([k, e]) =>
      plus ? `${k}:${formatValue(e, plus)}` : formatValue(e, plus),
    );
    return `{${fields.join(" ")}}`;
  }
  return String(v);
}
