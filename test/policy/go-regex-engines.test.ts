import { RE2JS } from "re2js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { turnOnLinearRegexpEngine } from "../../src/cli/launcher/regexp-flags.js";
import { compileGoRegex, RegexSyntaxError, useLinearRegexpEngine } from "../../src/policy/index.js";

// As in the CLI: its entry hands the engine the switch of V8's linear-time regexp engine.
beforeAll(() => useLinearRegexpEngine(turnOnLinearRegexpEngine));

/** What Go would return: re2js's leftmost-first submatches. */
function re2Submatches(pattern: string, input: string): (string | undefined)[] | null {
  const re = RE2JS.compile(pattern);
  const m = re.matcher(input);
  if (!m.find()) return null;
  const out: (string | undefined)[] = [];
  for (let g = 0; g <= re.groupCount(); g++) out.push(m.group(g) ?? undefined);
  return out;
}

const INPUTS = [
  "",
  "a",
  "v1.2.3",
  "V1.2.3",
  "main-abc1234-1700000000",
  "main-ABC1234-1700000000",
  "feature-x_y-42",
  "1.0.0-rc.1+build.5",
  "line1\nline2",
  "tab\there",
  "a.sig",
  "K",
  "k",
  "__init__",
  "x{2}y",
  "a]b}c",
  "-_.~!@#$%^&*()",
  "20.04",
  "aaaaaaaaab",
  "ß",
  "\u212a", // Kelvin sign: folds to k
  "é-1",
];

// Each pattern is checked on V8 (ASCII inputs) and re2js against re2js as the judge.
const PATTERNS: { pattern: string; engine: "v8" | "re2js" }[] = [
  { pattern: "^main-[a-f0-9]+-(?P<ts>[0-9]+)", engine: "v8" },
  { pattern: "^v?(?P<major>\\d+)\\.(?P<minor>\\d+)\\.(?P<patch>\\d+)", engine: "v8" },
  { pattern: "(?i)^MAIN-(?P<sha>[A-F0-9]+)", engine: "v8" },
  { pattern: "(?i)k", engine: "v8" },
  { pattern: "[[:digit:]]+", engine: "v8" },
  { pattern: "[[:alpha:][:punct:]]+", engine: "v8" },
  { pattern: "\\pL+", engine: "v8" },
  { pattern: "\\p{Greek}|\\PN+", engine: "v8" },
  { pattern: "\\s+\\S", engine: "v8" },
  { pattern: "\\w+\\b", engine: "v8" },
  { pattern: "^.+$", engine: "v8" },
  { pattern: "(?s)^.+$", engine: "v8" },
  { pattern: "sig\\z", engine: "v8" },
  { pattern: "\\A[a-z]", engine: "v8" },
  { pattern: "\\Q.*\\E|a", engine: "v8" },
  { pattern: "x{2}|x\\{2\\}y", engine: "v8" },
  { pattern: "x{2}", engine: "v8" },
  { pattern: "a{,3}", engine: "v8" },
  { pattern: "]|}", engine: "v8" },
  { pattern: "[]a]+", engine: "v8" },
  { pattern: "[^a-z\\d]+", engine: "v8" },
  { pattern: "(a|ab)(c|bcd)?", engine: "v8" },
  { pattern: "a+?b*?", engine: "v8" },
  { pattern: "(x)?-(\\d+)", engine: "v8" },
  { pattern: "\\x{41}\\x61\\t", engine: "v8" },
  { pattern: "\\-\\_\\.", engine: "v8" },
  { pattern: "é|\\x{e9}", engine: "v8" },
  { pattern: "", engine: "v8" },
  { pattern: "^(a+)+$", engine: "v8" },
  { pattern: "(a|ab)+c", engine: "v8" },
  { pattern: "(?:(a)|b)+", engine: "re2js" },
  // Constructs whose JS semantics differ from Go run on re2js.
  { pattern: "(?m)^line2$", engine: "re2js" },
  { pattern: "a(?i:b)", engine: "re2js" },
  { pattern: "(?U)a+", engine: "re2js" },
  { pattern: "((a)|b)+", engine: "re2js" },
  { pattern: "(a*)*", engine: "re2js" },
  { pattern: "(a*)?b", engine: "re2js" },
  { pattern: "\\101", engine: "re2js" },
];

describe("compileGoRegex: V8 and re2js give Go's leftmost-first submatches", () => {
  for (const { pattern, engine } of PATTERNS) {
    it(`${JSON.stringify(pattern)} on ${engine}`, () => {
      const re = compileGoRegex(pattern);
      expect(re.engine).toBe(engine);
      for (const input of INPUTS) {
        const want = re2Submatches(pattern, input);
        const got = re.exec(input);
        expect(got === null ? null : [...got], `input ${JSON.stringify(input)}`).toEqual(want);
        expect(re.test(input)).toBe(want !== null);
      }
    });
  }

  it("reports named groups with Go names, including ones JS cannot spell", () => {
    const re = compileGoRegex("(?P<ts>\\d+)-(?P<1a>x)?(?<b>y)");
    expect(Object.fromEntries(re.groupNames)).toEqual({ ts: 1, "1a": 2, b: 3 });
    expect(re.groupCount).toBe(3);
  });
});

describe("compileGoRegex: ReDoS patterns answer at once", () => {
  // No timing assertion: a backtracking engine would not finish these at all
  // (V8 alone needs ~40 s for n=30 and doubles per extra char).
  const evil = `${"a".repeat(5000)}b`;

  it("^(a+)+$ on V8 with the linear fallback", () => {
    const re = compileGoRegex("^(a+)+$");
    expect(re.engine).toBe("v8");
    expect(re.exec(`${"a".repeat(30)}b`)).toBeNull();
    expect(re.exec(evil)).toBeNull();
    expect([...(re.exec("aaaa") ?? [])]).toEqual(["aaaa", "aaaa"]);
  });

  it("(a|aa)*c and (.*a){12} on long inputs", () => {
    expect(compileGoRegex("^(?:a|aa)*c$").test(evil)).toBe(false);
    expect(compileGoRegex("(.*a){12}b$").exec(`${"a".repeat(40)}c`)).toBeNull();
  });

  it("non-ASCII input goes to re2js and stays linear", () => {
    expect(compileGoRegex("^(a+)+$").exec(`${"a".repeat(5000)}é`)).toBeNull();
  });
});

describe("compileGoRegex without the process's regexp switch", () => {
  beforeAll(() => useLinearRegexpEngine(undefined));
  afterAll(() => useLinearRegexpEngine(turnOnLinearRegexpEngine));

  it("runs every pattern on re2js: same matches, still linear", () => {
    const re = compileGoRegex("^(a+)+$");
    expect(re.engine).toBe("re2js");
    expect(re.exec(`${"a".repeat(5000)}b`)).toBeNull();
    expect([...(re.exec("aaaa") ?? [])]).toEqual(["aaaa", "aaaa"]);
  });
});

describe("compileGoRegex: RE2-rejected syntax fails with Go's messages", () => {
  const rejected: [string, string][] = [
    ["(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"],
    ["a(?=b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"],
    ["a(?!b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"],
    ["a*+", "error parsing regexp: invalid nested repetition operator: `*+`"],
    ["[=", "error parsing regexp: missing closing ]: `[=`"],
    ["^test-(.*", "error parsing regexp: missing closing ): `^test-(.*`"],
    ["(?P<n>a)(?P<n>b)", "error parsing regexp: duplicate capture group name: `n`"],
    ["x{1001}", "error parsing regexp: invalid repeat count: `{1001}`"],
    ["\\Z", "error parsing regexp: invalid escape sequence: `\\Z`"],
  ];
  for (const [pattern, message] of rejected) {
    it(JSON.stringify(pattern), () => {
      expect(() => compileGoRegex(pattern)).toThrow(RegexSyntaxError);
      expect(() => compileGoRegex(pattern)).toThrow(message);
    });
  }
});
