/**
 * Opt-in natural pre-release order (`imagectl.io/prerelease-order: natural`). Masterminds, and so
 * Flux, compares an alphanumeric identifier byte by byte, so `rc10` sorts before `rc9`. Natural
 * order splits each identifier into digit runs and other runs and compares digit runs as numbers:
 * rc9 < rc10, beta2 < beta10. Everything else stays Masterminds': release above pre-release,
 * identifiers left to right, a missing identifier first, a purely numeric identifier below an
 * alphanumeric one. Hand-written: no library orders semver pre-releases this way.
 */
import { type Component, comparePrerelease, compareVersions, type Version } from "./version.js";

const RUN = /[0-9]+|[^0-9]+/g;

/** Compares two digit runs as unbounded numbers (leading zeros ignored, then fewer zeros first). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=.)/, "");
  const y = b.replace(/^0+(?=.)/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  if (x !== y) return x < y ? -1 : 1;
  // Equal numbers: "01" after "1", so the order stays total and matches byte order on ties.
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const isDigit = (s: string): boolean => s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57;

/** One identifier; the empty one (missing) first, as Masterminds. */
function compareIdentifier(s: string, o: string): number {
  if (s === o) return 0;
  if (s === "") return -1;
  if (o === "") return 1;
  const sNum = /^[0-9]+$/.test(s);
  const oNum = /^[0-9]+$/.test(o);
  if (sNum !== oNum) return sNum ? -1 : 1; // numeric identifiers rank below alphanumeric ones
  const rs = s.match(RUN) ?? [];
  const ro = o.match(RUN) ?? [];
  const n = Math.min(rs.length, ro.length);
  for (let i = 0; i < n; i++) {
    const a = rs[i] as string;
    const b = ro[i] as string;
    const da = isDigit(a);
    const db = isDigit(b);
    let d: number;
    if (da && db) d = compareDigits(a, b);
    else if (da !== db) d = da ? -1 : 1;
    else d = a === b ? 0 : a < b ? -1 : 1; // ASCII only: UTF-16 order = byte order
    if (d !== 0) return d;
  }
  return rs.length === ro.length ? 0 : rs.length < ro.length ? -1 : 1;
}

/** Natural pre-release comparison: -1, 0 or 1. */
export function comparePrereleaseNatural(a: string, b: string): number {
  return comparePrerelease(a, b, compareIdentifier);
}

const cmp = (a: Component, b: Component): number => (a < b ? -1 : a > b ? 1 : 0);

/** compareVersions with natural pre-release order; equal to it whenever pre-releases are equal. */
export function compareVersionsNatural(a: Version, b: Version): number {
  if (a.pre === "" || b.pre === "" || a.pre === b.pre) return compareVersions(a, b);
  const d = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  return d !== 0 ? d : comparePrereleaseNatural(a.pre, b.pre);
}
