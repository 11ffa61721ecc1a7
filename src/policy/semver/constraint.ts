import type { RE2JS } from "re2js";
import { re2js } from "../regex/re2js-module.js";
import {
  type Component,
  comparePrerelease,
  compareVersions,
  parseLooseVersion,
  type Version,
} from "./version.js";

/**
 * Masterminds/semver v3 constraints (`NewConstraint` + `Check`), as Flux evaluates
 * `spec.policy.semver.range`. Written by hand because node-semver disagrees on
 * commas as AND, `!=`/`=>`/`=<`, hyphen ranges inside AND groups, `""` (node: any,
 * Masterminds: invalid) and, above all, pre-releases: Masterminds admits pre-release
 * versions of any major.minor.patch in an OR-group that contains a pre-release
 * comparator, node-semver only for the same tuple.
 *
 * The grammar is Masterminds' own regular expressions run by re2js, so partial
 * matches, the `[0-9|x|X|\*]` classes and leftmost-first alternation behave as in Go.
 */
export class ConstraintSyntaxError extends Error {
  override name = "ConstraintSyntaxError";
}

interface Comparator {
  op: string;
  /** Text of the version as written (Masterminds `orig`). */
  orig: string;
  con: Version;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

export interface Constraints {
  readonly source: string;
  /** True when `v` satisfies any OR-group. */
  check(v: Version): boolean;
}

const CV =
  "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?" +
  "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?" +
  "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";
const OPS = "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^";

let compiled: { single: RE2JS; range: RE2JS; find: RE2JS; valid: RE2JS } | undefined;

function regexes(): NonNullable<typeof compiled> {
  const { RE2JS } = re2js();
  compiled ??= {
    single: RE2JS.compile(`^\\s*(${OPS})\\s*(${CV})\\s*$`),
    range: RE2JS.compile(`\\s*(${CV})\\s+-\\s+(${CV})\\s*`),
    find: RE2JS.compile(`(${OPS})\\s*(${CV})`),
    valid: RE2JS.compile(`^(\\s*(${OPS})\\s*(${CV})\\s*)((?:\\s+|,\\s*)(${OPS})\\s*(${CV})\\s*)*$`),
  };
  return compiled;
}

function isX(s: string): boolean {
  return s === "x" || s === "X" || s === "*";
}

/** Masterminds rewriteRange: `a - b` becomes `>= a, <= b `. */
function rewriteRange(s: string): string {
  const m = regexes().range.matcher(s);
  const found: { whole: string; from: string; to: string }[] = [];
  while (m.find()) found.push({ whole: m.group(0) ?? "", from: m.group(1) ?? "", to: m.group(11) ?? "" });
  let out = s;
  for (const f of found) out = out.replace(f.whole, () => `>= ${f.from}, <= ${f.to} `);
  return out;
}

function parseComparator(text: string): Comparator {
  const m = regexes().single.matcher(text);
  if (!m.find()) throw new ConstraintSyntaxError(`improper constraint: ${text}`);
  const g = (i: number): string => m.group(i) ?? "";
  const [major, minor, patch, pre] = [g(3), g(4), g(5), g(6)];
  let ver = g(2);
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major)) {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.slice(1)) || minor === "") {
    ver = `${major}.0.0${pre}`;
    dirty = minorDirty = true;
  } else if (isX(patch.slice(1)) || patch === "") {
    ver = `${major}${minor}.0${pre}`;
    dirty = patchDirty = true;
  }
  const con = parseLooseVersion(ver);
  if (!con) throw new ConstraintSyntaxError("constraint Parser Error");
  return { op: g(1), orig: g(2), con, dirty, minorDirty, patchDirty };
}

/** Masterminds `NewConstraint`. @throws ConstraintSyntaxError */
export function parseConstraints(range: string): Constraints {
  const { valid, find } = regexes();
  const groups: Comparator[][] = [];
  const hasPre: boolean[] = [];
  for (const part of rewriteRange(range).split("||")) {
    if (!valid.matcher(part).find()) throw new ConstraintSyntaxError(`improper constraint: ${part}`);
    const texts: string[] = [];
    const m = find.matcher(part);
    while (m.find()) texts.push(m.group(0) ?? "");
    if (texts.length === 0) texts.push(part);
    const group = texts.map(parseComparator);
    groups.push(group);
    hasPre.push(group.some((c) => c.con.pre !== ""));
  }
  return {
    source: range,
    check: (v) => groups.some((group, i) => group.every((c) => checkOne(v, c, hasPre[i] === true))),
  };
}

const gt = (a: Component, b: Component): boolean => a > b;
const ne = (a: Component, b: Component): boolean => a < b || a > b;

function checkOne(v: Version, c: Comparator, includePre: boolean): boolean {
  // The group decides whether pre-releases are admitted at all (Masterminds ≥ 3.2).
  if (v.pre !== "" && !includePre) return false;
  switch (c.op) {
    case "":
    case "=":
      return c.dirty ? tilde(v, c) : compareVersions(v, c.con) === 0;
    case "!=":
      return notEqual(v, c);
    case ">":
      return greaterThan(v, c);
    case "<":
      return compareVersions(v, c.con) < 0;
    case ">=":
    case "=>":
      return compareVersions(v, c.con) >= 0;
    case "<=":
    case "=<":
      return lessOrEqual(v, c);
    case "~":
    case "~>":
      return tilde(v, c);
    case "^":
      return caret(v, c);
    default:
      return false;
  }
}

function notEqual(v: Version, c: Comparator): boolean {
  if (c.dirty) {
    if (ne(c.con.major, v.major)) return true;
    if (ne(c.con.minor, v.minor) && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (ne(c.con.patch, v.patch) && !c.patchDirty) return true;
    if (c.patchDirty) {
      if (v.pre !== "" || c.con.pre !== "") return comparePrerelease(v.pre, c.con.pre) !== 0;
      return false;
    }
  }
  return compareVersions(v, c.con) !== 0;
}

function greaterThan(v: Version, c: Comparator): boolean {
  if (!c.dirty) return compareVersions(v, c.con) === 1;
  if (gt(v.major, c.con.major)) return true;
  if (gt(c.con.major, v.major)) return false;
  if (c.minorDirty) return false; // >11 needs 12 or higher
  if (c.patchDirty) return gt(v.minor, c.con.minor); // >11.1 needs 11.2 or higher
  return compareVersions(v, c.con) === 1;
}

function lessOrEqual(v: Version, c: Comparator): boolean {
  if (!c.dirty) return compareVersions(v, c.con) <= 0;
  if (gt(v.major, c.con.major)) return false;
  if (!ne(v.major, c.con.major) && gt(v.minor, c.con.minor) && !c.minorDirty) return false;
  return true;
}

function tilde(v: Version, c: Comparator): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  // ~0.0.0 is Masterminds' special case: everything matches.
  if (isZero(c.con) && !c.minorDirty && !c.patchDirty) return true;
  if (ne(v.major, c.con.major)) return false;
  if (ne(v.minor, c.con.minor) && !c.minorDirty) return false;
  return true;
}

function caret(v: Version, c: Comparator): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (gt(c.con.major, 0) || c.minorDirty) return !ne(v.major, c.con.major);
  if (gt(v.major, 0)) return false;
  if (gt(c.con.minor, 0) || c.patchDirty) return !ne(v.minor, c.con.minor);
  if (gt(v.minor, 0)) return false;
  return !ne(c.con.patch, v.patch);
}

function isZero(v: Version): boolean {
  return !ne(v.major, 0) && !ne(v.minor, 0) && !ne(v.patch, 0);
}
