import { describe, expect, it } from "vitest";
import {
  buildPolicy,
  compileExclusionList,
  NoSelectableTagError,
  selectLatest,
} from "../../src/policy/index.js";

describe("ties follow Flux", () => {
  it("semver keeps the first of equal versions", () => {
    const policy = buildPolicy({ semver: { range: ">=1.0.0" } });
    expect(selectLatest(policy, ["v1.0.0", "1.0.0", "1.0.0+b"]).latest).toBe("v1.0.0");
    expect(selectLatest(policy, ["1.0.0+b", "v1.0.0", "1.0.0"]).latest).toBe("1.0.0+b");
  });

  it("numerical lets the last of equal values win", () => {
    const policy = buildPolicy({ numerical: {} });
    expect(selectLatest(policy, ["1", "1.0", "01"]).latest).toBe("01");
    expect(selectLatest(buildPolicy({ numerical: { order: "desc" } }), ["1", "1.0", "2"]).latest).toBe("1.0");
  });

  it("candidates are best first and start with the selected tag", () => {
    const policy = buildPolicy({ numerical: {} }, { pattern: "^b-(?P<n>\\d+)$", extract: "$n" });
    const sel = selectLatest(policy, ["b-3", "b-10", "b-2", "x-99", "b-10"], { top: 2 });
    expect(sel.latest).toBe("b-10");
    expect(sel.candidates).toEqual([
      { tag: "b-10", value: "10" },
      { tag: "b-3", value: "3" },
    ]);
  });
});

describe("semver: Masterminds rules that node-semver does not share", () => {
  const pick = (range: string, tags: string[]): string =>
    selectLatest(buildPolicy({ semver: { range } }), tags).latest;

  it("pre-release comparator admits pre-releases of any version in its AND-group", () => {
    expect(pick(">=1.0.0-0 <2.0.0", ["1.9.0", "2.0.0-rc.1"])).toBe("2.0.0-rc.1");
    expect(pick(">=1.0.0", ["1.0.0", "1.5.0-rc.1"])).toBe("1.0.0");
    expect(pick(">=1.0.0-0 <2.0.0 || >=3.0.0", ["1.0.0", "3.1.0-rc.1"])).toBe("1.0.0");
  });

  it("commas and spaces AND, ||, =>, =<, !=, hyphen ranges, x-ranges and v prefixes", () => {
    const tags = ["1.0.0", "1.2.3", "1.4.5", "1.4.6", "2.0.0", "v2.1.0"];
    expect(pick(">= 1.0, < 1.4", tags)).toBe("1.2.3");
    expect(pick("=>1.0 =<1.2.3", tags)).toBe("1.2.3");
    expect(pick("!=2.1.0", tags)).toBe("2.0.0");
    expect(pick("1.2 - 1.4.5", tags)).toBe("1.4.5");
    expect(pick("1.0.0 - 1.4.6, <=1.4.5", tags)).toBe("1.4.5");
    expect(pick("1.x", tags)).toBe("1.4.6");
    expect(pick("~1.4", tags)).toBe("1.4.6");
    expect(pick("^1.2", tags)).toBe("1.4.6");
    expect(pick("v2.x", tags)).toBe("v2.1.0");
    expect(pick("*", tags)).toBe("v2.1.0");
    expect(pick("~0.0.0", ["0.0.1", "5.0.0"])).toBe("5.0.0");
  });

  it("pre-release identifiers: numeric < alphanumeric, rc9 > rc10 but rc.10 > rc.9", () => {
    expect(pick(">=1.0.0-0", ["1.0.0-rc9", "1.0.0-rc10"])).toBe("1.0.0-rc9");
    expect(pick(">=1.0.0-0", ["1.0.0-rc.9", "1.0.0-rc.10"])).toBe("1.0.0-rc.10");
    expect(pick(">=1.0.0-0", ["1.0.0-alpha", "1.0.0-1"])).toBe("1.0.0-alpha");
  });

  it("components beyond 2^53 and up to uint64 parse; beyond uint64 are not versions", () => {
    expect(pick(">=1.0.0", ["1.2.9007199254740993", "1.2.9007199254740992"])).toBe("1.2.9007199254740993");
    expect(pick(">=1.0.0", ["18446744073709551615.0.0", "1.0.0"])).toBe("18446744073709551615.0.0");
    expect(pick(">=1.0.0", ["18446744073709551616.0.0", "1.0.0"])).toBe("1.0.0");
  });

  it("empty range and words are invalid, leading zeros in tags are fine", () => {
    expect(() => buildPolicy({ semver: { range: "" } })).toThrow("semver parse error");
    expect(() => buildPolicy({ semver: { range: "latest" } })).toThrow("improper constraint: latest");
    expect(pick(">=2025.1.1", ["v2025.07.03", "v2025.06.30"])).toBe("v2025.07.03");
  });
});

describe("counts explain the selection", () => {
  it("counts read, excluded, matched, collapsed candidates and rejections", () => {
    const policy = buildPolicy(
      { semver: { range: "1.x" } },
      { pattern: "^(?:app-)?(?P<v>.*)$", extract: "$v" },
    );
    const tags = ["1.0.0", "app-1.0.0", "2.0.0", "latest", "1.1.0.sig", "1.1.0"];
    const sel = selectLatest(policy, tags, { exclude: compileExclusionList(undefined) });
    expect(sel.latest).toBe("1.1.0");
    expect(sel.counts).toEqual({
      read: 6,
      excluded: 1,
      matched: 5,
      candidates: 4,
      selectable: 2,
      rejected: { notSemver: 1, outOfRange: 1, notNumeric: 0 },
    });
  });

  it("a non-numeric candidate fails the numerical policy with Flux's message and counts", () => {
    const policy = buildPolicy({ numerical: {} });
    let error: unknown;
    try {
      selectLatest(policy, ["1", "x1", "2", "y"]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NoSelectableTagError);
    expect((error as NoSelectableTagError).message).toBe("failed to parse invalid numeric value 'x1'");
    expect((error as NoSelectableTagError).counts?.rejected.notNumeric).toBe(2);
  });

  it("nothing matching the filter is 'version list argument cannot be empty'", () => {
    const policy = buildPolicy({ alphabetical: {} }, { pattern: "^nope" });
    expect(() => selectLatest(policy, ["a", "b"])).toThrow("version list argument cannot be empty");
  });
});

describe("buildPolicy validation", () => {
  const fieldOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return (err as { field?: string }).field;
    }
    return undefined;
  };

  it("names the field at fault", () => {
    expect(fieldOf(() => buildPolicy({}))).toBe("spec.policy");
    expect(fieldOf(() => buildPolicy({ semver: { range: "1.x" }, numerical: {} }))).toBe("spec.policy");
    expect(fieldOf(() => buildPolicy({ semver: { range: "*-*" } }))).toBe("spec.policy.semver.range");
    expect(fieldOf(() => buildPolicy({ numerical: {} }, { pattern: "(?=x)" }))).toBe(
      "spec.filterTags.pattern",
    );
    expect(fieldOf(() => buildPolicy({ numerical: {} }, { extract: "$1" }))).toBe("spec.filterTags.extract");
    expect(fieldOf(() => buildPolicy({ numerical: {} }, { pattern: "(?P<a>x)", extract: "$b" }))).toBe(
      "spec.filterTags.extract",
    );
  });

  it("uses Flux's message for an invalid pattern", () => {
    expect(() => buildPolicy({ numerical: {} }, { pattern: "[=" })).toThrow(
      "invalid regular expression pattern '[=': error parsing regexp: missing closing ]: `[=`",
    );
  });

  it("numbered groups in extract are not checked, like Flux", () => {
    expect(buildPolicy({ numerical: {} }, { pattern: "x", extract: "$3" }).kind).toBe("numerical");
  });
});
