import { describe, expect, it } from "vitest";
import { compileGoRegex, compileTemplate } from "../../src/policy/index.js";

// Expected values are what Go's regexp.ExpandString returns for the same inputs.
function expand(pattern: string, template: string, input: string): string {
  const re = compileGoRegex(pattern);
  const m = re.exec(input);
  if (!m) throw new Error("test input must match");
  return compileTemplate(template, re.groupNames).expand(m);
}

describe("Go regexp.Expand semantics for filterTags.extract", () => {
  const P = "(?P<name>[a-z]+)-(?P<ts>[0-9]+)";
  const cases: [string, string, string][] = [
    ["$name", "app-42", "app"],
    ["${name}", "app-42", "app"],
    ["$1/$2", "app-42", "app/42"],
    ["${1}x", "app-42", "appx"],
    ["$1x", "app-42", ""], // longest name run: group "1x" does not exist
    ["$$ts", "app-42", "$ts"],
    ["$0", "app-42", "app-42"],
    ["$01", "app-42", ""], // leading zero: a name, not a number
    ["$9", "app-42", ""], // no such group number
    ["$", "app-42", "$"],
    ["${", "app-42", "${"],
    ["${ts", "app-42", "${ts"],
    ["$-", "app-42", "$-"],
    ["v${ts}.0", "app-42", "v42.0"],
    ["pre-$ts-post", "app-42", "pre-42-post"],
    ["plain", "app-42", "plain"],
  ];
  for (const [template, input, want] of cases) {
    it(`${JSON.stringify(template)} → ${JSON.stringify(want)}`, () => {
      expect(expand(P, template, input)).toBe(want);
    });
  }

  it("uses the first (leftmost) match only", () => {
    expect(expand("(?P<n>[0-9]+)", "$n", "a1-b22-c333")).toBe("1");
  });

  it("a group that did not participate expands to empty", () => {
    expect(expand("(?P<a>x)?(?P<b>y)", "[$a|$b]", "y")).toBe("[|y]");
  });

  it("lists referenced names, not numbers, for validation", () => {
    expect(compileTemplate("$1 ${ts} $name $$x $01", new Map()).names).toEqual(["ts", "name", "01"]);
  });

  it("names may contain Unicode letters and digits, as in Go", () => {
    expect(compileTemplate("$été", new Map()).names).toEqual(["été"]);
  });
});
