/**
 * How kind rules report problems (a path inside the object and a message) and the checks every
 * kind shares: intervals, timeouts, referenced object names.
 */

import { durationHint, isValidDuration, TIMEOUT_PATTERN } from "./duration.js";
import { quote } from "./input-limits.js";
import { checkObjectName } from "./names.js";
import type { PathSegment, ShapeProblem } from "./shape-problems.js";

/** A problem with its location inside the object, so manifest readers can find the YAML line. */
export type ObjectProblem = ShapeProblem;

/** Collects problems; the display path is derived from the segments unless given. */
export class Problems {
  constructor(readonly list: ObjectProblem[]) {}
  add(path: PathSegment[], message: string, field?: string): void {
    this.list.push({ path, field: field ?? pathText(path), message });
  }
  addField(field: string, message: string): void {
    this.list.push({ path: pathFromText(field), field, message });
  }
}

export function pathText(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/** `spec.exclusionList[2]` → ["spec","exclusionList",2] (map keys in brackets stay strings). */
function pathFromText(field: string): PathSegment[] {
  const path: PathSegment[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined) path.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
  }
  return path;
}

export function checkInterval(value: string | undefined, path: PathSegment[], p: Problems): void {
  if (value === undefined) return;
  if (!isValidDuration(value, "interval")) {
    p.add(path, `invalid duration ${quote(value)}: expected ${durationHint("interval")}`);
  }
}

export function checkTimeout(value: string | undefined, path: PathSegment[], p: Problems): void {
  if (value === undefined) return;
  if (!isValidDuration(value, "timeout")) {
    const hours = /h/.test(value) && !TIMEOUT_PATTERN.test(value) ? " (timeouts cannot use hours)" : "";
    p.add(path, `invalid duration ${quote(value)}${hours}: expected ${durationHint("timeout")}`);
  }
}

export function checkRefName(name: string, path: PathSegment[], p: Problems, what = "Secret"): void {
  for (const m of checkObjectName(name)) p.add(path, `invalid ${what} name ${quote(name)}: ${m}`);
}
