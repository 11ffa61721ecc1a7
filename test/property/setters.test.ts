import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { applySetters, type LatestRef } from "../../src/update/index.js";

// Property-based checks of the setters (src/update) over generated YAML files with markers: only
// the marked scalars' bytes change, each to a scalar that reads back (YAML 1.1 and 1.2) as the
// policy's value in the same quoting style, everything else is byte-exact (BOM, CRLF, comments,
// blank lines, missing final newline), and a second pass changes nothing. Fixed seed and run count.
const RUNS = { seed: 11_2026, numRuns: 250 } as const;

const NAME = "ghcr.io/org/app";
const marker = (setter: string) => ` # {"$imagepolicy": "ns:app${setter}"}`;

// OCI tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Short ones hit YAML's look-alikes (yes, 1.10, 0x1f…).
const tagArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}$/),
  fc.constantFrom(
    "1.10",
    "yes",
    "No",
    "on",
    "0x1f",
    "1e3",
    "123",
    "null",
    "2024-01-02",
    "1_000",
    ".5",
    "v1.2.3",
  ),
);

type Style = "plain" | "double" | "single";
type Setter = "" | ":tag" | ":name";

interface MarkedLine {
  kind: "marked";
  setter: Setter;
  style: Style;
  /** The current value (before the run). */
  value: string;
}
type Line =
  | MarkedLine
  | { kind: "entry"; value: string }
  | { kind: "comment"; text: string }
  | { kind: "blank" }
  | { kind: "lookalike"; value: string };

const wordArb = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);
const lineArb: fc.Arbitrary<Line> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("marked" as const),
      setter: fc.constantFrom<Setter>("", ":tag", ":name"),
      style: fc.constantFrom<Style>("plain", "double", "single"),
      value: wordArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("entry" as const), value: wordArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("comment" as const), text: fc.stringMatching(/^[ -~]{0,20}$/) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "blank" as const }) },
  // A comment that looks like a marker but is not one (other key, trailing text): never touched.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lookalike" as const), value: wordArb }) },
);

const quote = (v: string, style: Style): string =>
  style === "double" ? `"${v}"` : style === "single" ? `'${v}'` : v;

interface Generated {
  text: string;
  /** The unchanged pieces around the marked scalars, in order (segments.length = marked + 1). */
  segments: string[];
  marked: MarkedLine[];
}

/** Renders lines as a mapping (top level, then under `spec:`), keys k0, k1, … so they stay unique. */
function render(lines: Line[], split: number, eol: string, bom: boolean, finalEol: boolean): Generated {
  const segments: string[] = [];
  const marked: MarkedLine[] = [];
  let current = bom ? "\uFEFF" : "";
  lines.forEach((line, i) => {
    if (i === split) current += `spec:${eol}`;
    const indent = i >= split ? "  " : "";
    const last = i === lines.length - 1;
    const end = last && !finalEol ? "" : eol;
    switch (line.kind) {
      case "marked":
        current += `${indent}k${i}: `;
        segments.push(current);
        marked.push(line);
        current = `${marker(line.setter)}${end}`;
        return;
      case "entry":
        current += `${indent}k${i}: ${line.value}${end}`;
        return;
      case "comment":
        current += `${indent}#${line.text}${end}`;
        return;
      case "blank":
        current += end;
        return;
      case "lookalike":
        current += `${indent}k${i}: ${line.value} # {"$imagepolicy": "ns:app"} trailing${end}`;
        return;
    }
  });
  segments.push(current);
  let text = segments[0] as string;
  marked.forEach((m, j) => {
    text += quote(m.value, m.style) + segments[j + 1];
  });
  return { text, segments, marked };
}

const fileArb = fc
  .tuple(
    fc.array(lineArb, { minLength: 1, maxLength: 14 }),
    fc.nat(14),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([lines, split, eol, bom, finalEol]) =>
    render(lines, Math.min(split, lines.length), eol, bom, finalEol),
  );

const expectedValue = (setter: Setter, ref: LatestRef): string =>
  setter === ":tag" ? ref.tag : setter === ":name" ? ref.name : `${ref.name}:${ref.tag}`;

/** `text` = segments interleaved with one replacement each; returns the replacements (or fails). */
function replacementsIn(text: string, segments: string[]): string[] {
  const out: string[] = [];
  let pos = 0;
  expect(text.startsWith(segments[0] as string)).toBe(true);
  pos = (segments[0] as string).length;
  for (let j = 1; j < segments.length; j++) {
    const seg = segments[j] as string;
    // Each segment after a scalar starts with its marker comment, which the scalar cannot contain.
    const at = text.indexOf(seg, pos);
    expect(at, `segment ${j} not found unchanged`).toBeGreaterThanOrEqual(pos);
    out.push(text.slice(pos, at));
    pos = at + seg.length;
  }
  expect(pos, "trailing bytes changed").toBe(text.length);
  return out;
}

/** What a YAML reader makes of `scalar` as a mapping value, under YAML 1.2 and 1.1. */
function readBack(scalar: string): unknown[] {
  return (["1.2", "1.1"] as const).map((version) => parseDocument(`k: ${scalar}\n`, { version }).toJS()?.k);
}

describe("setters over generated YAML", () => {
  it("change only the marked scalars, to the policy's value in the same style", () => {
    fc.assert(
      fc.property(fileArb, tagArb, (file, tag) => {
        const ref: LatestRef = { name: NAME, tag };
        const out = applySetters(file.text, new Map([["ns:app", ref]]));
        expect(out.problems).toEqual([]);
        const replaced = replacementsIn(out.text, file.segments);
        replaced.forEach((r, j) => {
          const m = file.marked[j] as MarkedLine;
          const want = expectedValue(m.setter, ref);
          if (m.value === want) {
            expect(r).toBe(quote(m.value, m.style));
            return;
          }
          expect(readBack(r)).toEqual([want, want]);
          if (m.style === "double") expect(r.startsWith('"')).toBe(true);
          if (m.style === "single") expect(r.startsWith("'")).toBe(true);
          // A plain scalar stays plain when the value is plainly a string (the engine quotes
          // conservatively beyond that: `_` or `.` come out double-quoted, which reads back the same).
          if (m.style === "plain") {
            expect(r === want || r.startsWith('"')).toBe(true);
            if (/^[A-Za-z][A-Za-z0-9.-]*$/.test(want) && readBack(want).every((x) => x === want))
              expect(r).toBe(want);
          }
        });
        const changed = file.marked.filter((m) => m.value !== expectedValue(m.setter, ref)).length;
        expect(out.changes).toHaveLength(changed);
      }),
      RUNS,
    );
  });

  it("are idempotent: a second pass changes nothing", () => {
    fc.assert(
      fc.property(fileArb, tagArb, (file, tag) => {
        const refs = new Map([["ns:app", { name: NAME, tag }]]);
        const once = applySetters(file.text, refs);
        const twice = applySetters(once.text, refs);
        expect(twice.text).toBe(once.text);
        expect(twice.changes).toEqual([]);
      }),
      RUNS,
    );
  });

  it("leave a file byte-exact when every marker already holds the policy's value", () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        // Re-render with each marked value set to what its setter would write.
        const ref: LatestRef = { name: NAME, tag: "1.2.3" };
        let text = file.segments[0] as string;
        file.marked.forEach((m, j) => {
          text += quote(expectedValue(m.setter, ref), m.style) + file.segments[j + 1];
        });
        const out = applySetters(text, new Map([["ns:app", ref]]));
        expect(out.text).toBe(text);
        expect(out.changes).toEqual([]);
      }),
      RUNS,
    );
  });

  it("leave a file byte-exact when the marker names an unknown policy, and say so", () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const out = applySetters(file.text, new Map([["other:policy", { name: NAME, tag: "9" }]]));
        expect(out.text).toBe(file.text);
        expect(out.problems.every((p) => p.kind === "unknown-policy")).toBe(true);
        expect(out.problems).toHaveLength(file.marked.length);
      }),
      RUNS,
    );
  });
});
