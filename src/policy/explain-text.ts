/**
 * The explanation of a selection as text and rows (see explain.ts for the model). Kept apart
 * with type-only imports, so that `policy test` can print it without loading the engine early.
 */
import type { SelectionCounts } from "./errors.js";
import type { RejectReason, Selection } from "./select.js";

/** How each reason reads, in the words `policy test` uses. */
export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
  excluded: "excluded by the exclusion list",
  noMatch: "did not match filterTags.pattern",
  notSemver: "not semver",
  outOfRange: "out of range",
  notNumeric: "not numeric",
};

/** The count rows of an explanation, label and value, in order. */
export function countLines(c: SelectionCounts): Array<[label: string, value: string]> {
  const r = c.rejected;
  const why = [
    r.notSemver && `${r.notSemver} not semver`,
    r.outOfRange && `${r.outOfRange} out of range`,
    r.notNumeric && `${r.notNumeric} not numeric`,
  ].filter(Boolean);
  return [
    ["tags read", String(c.read)],
    ["excluded", String(c.excluded)],
    ["matched filter", String(c.matched)],
    ["candidates", `${c.candidates} distinct values`],
    ["rejected", why.length > 0 ? why.join(", ") : "0"],
    ["selectable", String(c.selectable)],
  ];
}

/** The counts as `policy test` prints them, one aligned line each. */
export function describeCounts(c: SelectionCounts): string {
  return `${countLines(c)
    .map(([label, value]) => `${`${label}:`.padEnd(17)}${value}`)
    .join("\n")}\n`;
}

/** `policy test`'s text report: the winner, the counts, then the ranked candidates. */
export function describeSelection(s: Selection, top: number): string {
  let out = `${s.latest}\n\n${describeCounts(s.counts)}`;
  if (top > 0 && s.candidates.length > 0) {
    const width = Math.max(...s.candidates.map((c) => c.tag.length));
    out += `\ntop ${s.candidates.length} candidates (best first):\n`;
    s.candidates.forEach((c, i) => {
      out += `${String(i + 1).padStart(4)}  ${c.tag.padEnd(width)}  ${c.value}\n`;
    });
  }
  return out;
}
