/**
 * Flux duration strings (metav1.Duration with the CRD patterns Flux enforces).
 *
 * Hand-written because Go's time.ParseDuration / Duration.String have no npm equivalent that
 * reproduces their exact output (`1m0s`, `1h0m0s`, `1.5s`, `750ms`), and Flux prints durations
 * that way in `--export` output and in messages.
 */
import { quote } from "./input-limits.js";

/** `spec.interval` pattern (all kinds). */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** `spec.timeout` pattern: like intervals but without hours. */
export const TIMEOUT_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;

export class DurationError extends Error {
  override name = "DurationError";
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid duration ${quote(input)}: ${reason}`);
  }
}

const NS_PER_MS = 1_000_000n;
const UNIT_NS: Record<string, bigint> = {
  ms: NS_PER_MS,
  s: 1_000n * NS_PER_MS,
  m: 60_000n * NS_PER_MS,
  h: 3_600_000n * NS_PER_MS,
};
const MAX_NS = (1n << 63n) - 1n;
const COMPONENT = /([0-9]+)(?:\.([0-9]+))?(ms|s|m|h)/g;

/** Describes what a duration field accepts, for validation messages. */
export function durationHint(kind: "interval" | "timeout"): string {
  return kind === "interval"
    ? "a duration such as 30s, 5m, 1h or 1m30s (units ms, s, m, h)"
    : "a duration such as 30s, 5m or 1m30s (units ms, s, m; no hours)";
}

export function isValidDuration(s: string, kind: "interval" | "timeout" = "interval"): boolean {
  const pattern = kind === "interval" ? DURATION_PATTERN : TIMEOUT_PATTERN;
  if (!pattern.test(s)) return false;
  try {
    parseDurationNs(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a Flux duration to nanoseconds with Go's arithmetic (fractions are scaled in float64 and
 * truncated, the total must fit an int64).
 */
export function parseDurationNs(s: string): bigint {
  if (!DURATION_PATTERN.test(s)) {
    throw new DurationError(s, `expected ${durationHint("interval")}`);
  }
  let total = 0n;
  for (const m of s.matchAll(COMPONENT)) {
    const unit = UNIT_NS[m[3] ?? ""];
    if (unit === undefined) throw new DurationError(s, "unknown unit");
    let v = BigInt(m[1] ?? "0");
    if (v > (1n << 63n) / unit) throw new DurationError(s, "out of range");
    v *= unit;
    const frac = m[2];
    if (frac) {
      // Go keeps at most the digits that fit in an int64 and ignores the rest.
      let f = 0n;
      let scale = 1;
      for (const digit of frac) {
        if (f > MAX_NS / 10n) break;
        f = f * 10n + BigInt(digit);
        scale *= 10;
      }
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > 1n << 63n) throw new DurationError(s, "out of range");
    }
    total += v;
    if (total > MAX_NS) throw new DurationError(s, "out of range");
  }
  return total;
}

/** Parses a Flux duration (`5m`, `1h30m`, `1.5s`, `750ms`) to milliseconds. */
export function parseDuration(s: string): number {
  return Number(parseDurationNs(s)) / 1e6;
}

/** Go's time.Duration.String for a nanosecond count. */
export function formatDurationNs(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return "0s";
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    const secondsWithFraction = fraction(u % 60_000_000_000n, 9);
    u /= 60_000_000_000n;
    out = `${secondsWithFraction}s`;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `value / 10^prec` printed without trailing zeros (Go's fmtFrac + fmtInt). */
function fraction(value: bigint, prec: number): string {
  const div = 10n ** BigInt(prec);
  const whole = value / div;
  const rest = value % div;
  if (rest === 0n) return `${whole}`;
  const digits = rest.toString().padStart(prec, "0").replace(/0+$/, "");
  return `${whole}.${digits}`;
}

/** Formats milliseconds like Go's time.Duration.String (`1m0s`, `5m0s`, `1h0m0s`, `750ms`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format duration ${ms}`);
  const whole = Math.trunc(ms);
  const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  return formatDurationNs(ns);
}

/** `5m` → `5m0s`: the form Flux prints after a round trip through metav1.Duration. */
export function normalizeDuration(s: string): string {
  return formatDurationNs(parseDurationNs(s));
}
