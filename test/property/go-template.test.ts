import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { executeTemplate, goMap, parseTemplate } from "../../src/template/index.js";

// Property-based checks of the Go text/template engine (src/template) against reference renderings
// written from Go's rules: text outside actions is copied, string and integer literals print as
// themselves, pipelines pass the value as the last argument, `range` walks slices in order and maps
// in sorted byte order, trim markers eat all adjacent white space. Fixed seed and run count.
const RUNS = { seed: 3_12_2026, numRuns: 300 } as const;

const run = (text: string, data: unknown = {}): string => executeTemplate(parseTemplate("t", text), data);

// Text that holds no action delimiters.
const textArb = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes("{{"));
// A Go interpreted string literal and the string it denotes: JSON's escapes are a subset of Go's.
const stringLiteralArb = fc
  .string({ unit: "grapheme", maxLength: 20 })
  .map((s) => ({ literal: JSON.stringify(s), value: s }));
const wordArb = fc.stringMatching(/^[A-Za-z0-9_. -]{0,12}$/);

describe("Go text/template against reference renderings", () => {
  it("copies text outside actions verbatim", () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect(run(text)).toBe(text);
      }),
      RUNS,
    );
  });

  it("prints string and integer literals as themselves, between any text", () => {
    fc.assert(
      fc.property(
        textArb,
        stringLiteralArb,
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        textArb,
        (before, s, n, after) => {
          expect(run(`${before}{{ ${s.literal} }}|{{ ${n} }}${after}`)).toBe(
            `${before}${s.value}|${n}${after}`,
          );
        },
      ),
      RUNS,
    );
  });

  it("raw string literals print their bytes unescaped", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 20 }).filter((s) => !s.includes("`")),
        (s) => {
          expect(run(`{{ \`${s}\` }}`)).toBe(s);
        },
      ),
      RUNS,
    );
  });

  it("pipelines pass the value as the last argument", () => {
    fc.assert(
      fc.property(wordArb, wordArb, wordArb, (a, b, c) => {
        const [la, lb, lc] = [a, b, c].map((x) => JSON.stringify(x));
        expect(run(`{{ ${la} | printf "%s<%s>%s" ${lb} ${lc} }}`)).toBe(`${b}<${c}>${a}`);
        expect(run(`{{ ${la} | printf "%s+%s" ${lb} | printf "[%s]" }}`)).toBe(`[${b}+${a}]`);
        expect(run(`{{ ${la} | len }}`)).toBe(String(Buffer.byteLength(a)));
        expect(run(`{{ ${la} | upper | lower }}`)).toBe(a.toLowerCase());
      }),
      RUNS,
    );
  });

  it("ranges over a slice in order, with index, and else when empty", () => {
    fc.assert(
      fc.property(fc.array(wordArb, { maxLength: 12 }), textArb, (items, sep) => {
        const tpl = `{{ range $i, $e := .Items }}{{ $i }}=${sep}{{ $e }};{{ else }}none{{ end }}`;
        const want = items.length ? items.map((e, i) => `${i}=${sep}${e};`).join("") : "none";
        expect(run(tpl, { Items: items })).toBe(want);
        expect(run("{{ len .Items }}", { Items: items })).toBe(String(items.length));
      }),
      RUNS,
    );
  });

  it("ranges over a map in sorted byte order of its keys", () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string({ unit: "grapheme", maxLength: 6 }), wordArb), {
      maxLength: 10,
      selector: ([k]) => k,
    });
    fc.assert(
      fc.property(entries, (kvs) => {
        const m = goMap(kvs, "");
        const want = [...kvs]
          .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
          .map(([k, v]) => `${k}:${v},`)
          .join("");
        expect(run("{{ range $k, $v := .M }}{{ $k }}:{{ $v }},{{ end }}", { M: m })).toBe(want);
      }),
      RUNS,
    );
  });

  it("trim markers remove all adjacent ASCII white space and nothing else", () => {
    const ws = fc.stringMatching(/^[ \t\r\n]{0,4}$/);
    fc.assert(
      fc.property(wordArb, ws, ws, wordArb, stringLiteralArb, (a, w1, w2, b, s) => {
        expect(run(`${a}${w1}{{- ${s.literal} -}}${w2}${b}`)).toBe(
          `${a.trimEnd()}${s.value}${b.trimStart()}`,
        );
      }),
      RUNS,
    );
  });

  it("if / else picks by Go truthiness of the data", () => {
    const valueArb = fc.oneof(
      fc.constant(0),
      fc.integer(),
      fc.constant(""),
      wordArb,
      fc.boolean(),
      fc.array(wordArb, { maxLength: 2 }),
    );
    fc.assert(
      fc.property(valueArb, (v) => {
        const truthy = Array.isArray(v) ? v.length > 0 : Boolean(v);
        expect(run("{{ if .V }}yes{{ else }}no{{ end }}", { V: v })).toBe(truthy ? "yes" : "no");
      }),
      RUNS,
    );
  });
});
