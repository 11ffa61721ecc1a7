/**
 * Versions as Flux parses tags: fluxcd/pkg `version.ParseVersion` = "at least two dots"
 * + Masterminds/semver v3 `NewVersion` in coerce mode (optional leading `v`, leading
 * zeros allowed in major/minor/patch, missing minor/patch = 0, numeric pre-release
 * identifiers without leading zeros). Hand-written rather than node-semver because
 * node-semver rejects leading zeros and components above 2^53, and trims whitespace.
 */

/** A component: a number when it is exact in float64, else a bigint (up to uint64). */
export type Component = number | bigint;

export interface Version {
  major: Component;
  minor: Component;
  patch: Component;
  /** Pre-release without the '-', "" when none. */
  pre: string;
  /** Build metadata without the '+', ignored in comparisons. */
  build: string;
  /** The string as given (Masterminds `Original()`), e.g. "v1.2.3". */
  original: string;
}

const LOOSE =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const UINT64_MAX = 18446744073709551615n;
const DIGITS = /^[0-9]+$/;

function component(digits: string | undefined): Component | undefined {
  if (digits === undefined) return 0;
  // 15 digits always fit a float64 exactly; longer ones go through BigInt (uint64 bound).
  if (digits.length <= 15) return Number(digits);
  const big = BigInt(digits);
  if (big > UINT64_MAX) return undefined;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function validPrerelease(pre: string): boolean {
  for (const part of pre.split(".")) {
    if (DIGITS.test(part) && part.length > 1 && part[0] === "0") return false;
  }
  return true;
}

/** Masterminds/semver v3 `NewVersion` (coerce mode). */
export function parseLooseVersion(s: string): Version | undefined {
  const m = LOOSE.exec(s);
  if (!m) return undefined;
  const major = component(m[1]);
  const minor = component(m[2]);
  const patch = component(m[3]);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  const pre = m[4] ?? "";
  if (pre && !validPrerelease(pre)) return undefined;
  return { major, minor, patch, pre, build: m[5] ?? "", original: s };
}

/** fluxcd/pkg `version.ParseVersion`: a tag needs at least two dots to be a version. */
export function parseFluxVersion(tag: string): Version | undefined {
  const first = tag.indexOf(".");
  if (first < 0 || tag.indexOf(".", first + 1) < 0) return undefined;
  return parseLooseVersion(tag);
}

function cmp(a: Component, b: Component): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const UINT = /^[0-9]{1,20}$/;

function asUint(s: string): bigint | undefined {
  if (!UINT.test(s)) return undefined;
  const n = BigInt(s);
  return n > UINT64_MAX ? undefined : n;
}

/** Masterminds comparePrePart: numbers < words, numbers numeric, words byte-wise. */
function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === "") return -1;
  if (o === "") return 1;
  const si = asUint(s);
  const oi = asUint(o);
  if (si === undefined && oi === undefined) return s > o ? 1 : -1; // ASCII only: UTF-16 order = byte order
  if (oi === undefined) return -1;
  if (si === undefined) return 1;
  return si > oi ? 1 : -1;
}

/**
 * Masterminds comparePrerelease (a missing identifier sorts first); `part` compares one
 * identifier (natural order, src/policy/semver/natural.ts, brings its own).
 */
export function comparePrerelease(a: string, b: string, part = comparePrePart): number {
  const sa = a.split(".");
  const sb = b.split(".");
  const n = Math.max(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    const d = part(sa[i] ?? "", sb[i] ?? "");
    if (d !== 0) return d;
  }
  return 0;
}

/** Semver precedence (Masterminds `Compare`): -1, 0 or 1; build metadata ignored. */
export function compareVersions(a: Version, b: Version): number {
  const d = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (d !== 0) return d;
  if (a.pre === b.pre) return 0;
  if (a.pre === "") return 1;
  if (b.pre === "") return -1;
  return comparePrerelease(a.pre, b.pre);
}
