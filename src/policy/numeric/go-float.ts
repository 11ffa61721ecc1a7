/**
 * Go `strconv.ParseFloat(s, 64)`: returns the value, or undefined where Go returns an
 * error (syntax error, or a finite literal that overflows float64 — Go's ErrRange).
 * Hand-written because JS `Number()` accepts whitespace, `0x10`, `0b1`, `""` and
 * `Infinity` only in one spelling, and rejects `1_000`, `inf`, `nan` and hex floats.
 */
export function parseGoFloat(s: string): number | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  // Fast path: plain digits, the common case for timestamps and build numbers.
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === n) return finite(Number(s));
  return parseSlow(s);
}

function finite(v: number): number | undefined {
  return Number.isFinite(v) ? v : undefined;
}

const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;
const DECIMAL = /^[+-]?([0-9_]*)(?:\.([0-9_]*))?(?:[eE][+-]?[0-9][0-9_]*)?$/;
const DIGIT = /[0-9]/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9][0-9_]*)$/;

function parseSlow(s: string): number | undefined {
  const special = SPECIAL.exec(s);
  if (special) {
    const word = (special[2] ?? "").toLowerCase();
    if (word === "nan") return special[1] === "" ? Number.NaN : undefined; // Go: no sign on NaN
    return special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  const dec = DECIMAL.exec(s);
  if (dec) {
    if (!DIGIT.test(dec[1] ?? "") && !DIGIT.test(dec[2] ?? "")) return undefined; // Go: no digits
    if (s.includes("_") && !underscoreOK(s)) return undefined;
    return finite(Number(s.replaceAll("_", "")));
  }
  const hex = HEX.exec(s);
  if (hex) {
    if (s.includes("_") && !underscoreOK(s)) return undefined;
    const int = (hex[2] ?? "").replaceAll("_", "");
    const frac = (hex[3] ?? "").replaceAll("_", "");
    if (int === "" && frac === "") return undefined;
    const exp = Number((hex[4] ?? "0").replaceAll("_", ""));
    // Exact mantissa as BigInt, scaled once: rounding happens a single time for
    // mantissas up to 53 bits (longer hex mantissas may round twice; never seen in tags).
    const mant = Number(BigInt(`0x${int}${frac}` === "0x" ? "0" : `0x${int}${frac}`));
    const v = (hex[1] === "-" ? -1 : 1) * mant * 2 ** (exp - 4 * frac.length);
    return finite(v);
  }
  return undefined;
}

/** Go's underscoreOK: '_' only between digits, or between a base prefix and a digit. */
function underscoreOK(str: string): boolean {
  let s = str;
  let saw = "^";
  let i = 0;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "bBoOxX".includes(s[1] ?? "")) {
    i = 2;
    saw = "0";
    hex = s[1] === "x" || s[1] === "X";
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? "";
    if ((c >= "0" && c <= "9") || (hex && /[a-fA-F]/.test(c))) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}
