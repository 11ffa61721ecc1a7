import { describe, expect, it } from "vitest";
import {
  LabelSelectorError,
  matchesLabelSelector,
  parseLabelSelector,
  validateLabelSelector,
} from "../../src/api/selector.js";

const labels = { app: "vote", tier: "frontend", "example.com/team": "blue" };

describe("matchesLabelSelector", () => {
  it("matches everything when the selector is absent or empty", () => {
    expect(matchesLabelSelector(undefined, labels)).toBe(true);
    expect(matchesLabelSelector({}, labels)).toBe(true);
    expect(matchesLabelSelector({}, undefined)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: {}, matchExpressions: [] }, {})).toBe(true);
  });

  it("requires every matchLabels entry", () => {
    expect(matchesLabelSelector({ matchLabels: { app: "vote" } }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { app: "vote", tier: "backend" } }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchLabels: { app: "vote" } }, undefined)).toBe(false);
  });

  it("treats a label with an empty value as present", () => {
    expect(matchesLabelSelector({ matchLabels: { flag: "" } }, { flag: "" })).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { flag: "" } }, {})).toBe(false);
  });

  it("applies In, NotIn, Exists and DoesNotExist like Kubernetes", () => {
    const sel = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", values?: string[]) => ({
      matchExpressions: [{ key: "tier", operator, ...(values ? { values } : {}) }],
    });
    expect(matchesLabelSelector(sel("In", ["frontend", "x"]), labels)).toBe(true);
    expect(matchesLabelSelector(sel("In", ["backend"]), labels)).toBe(false);
    expect(matchesLabelSelector(sel("In", ["frontend"]), {})).toBe(false);
    expect(matchesLabelSelector(sel("NotIn", ["backend"]), labels)).toBe(true);
    expect(matchesLabelSelector(sel("NotIn", ["frontend"]), labels)).toBe(false);
    expect(matchesLabelSelector(sel("NotIn", ["frontend"]), {})).toBe(true);
    expect(matchesLabelSelector(sel("Exists"), labels)).toBe(true);
    expect(matchesLabelSelector(sel("Exists"), {})).toBe(false);
    expect(matchesLabelSelector(sel("DoesNotExist"), labels)).toBe(false);
    expect(matchesLabelSelector(sel("DoesNotExist"), {})).toBe(true);
  });

  it("judges a key the labels lack the same whatever other labels they have", () => {
    const missing = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", values?: string[]) =>
      matchesLabelSelector(
        { matchExpressions: [{ key: "missing", operator, ...(values ? { values } : {}) }] },
        labels,
      );
    expect(missing("In", ["frontend"])).toBe(false);
    expect(missing("NotIn", ["frontend"])).toBe(true);
    expect(missing("Exists")).toBe(false);
    expect(missing("DoesNotExist")).toBe(true);
  });

  it("ANDs matchLabels and every expression", () => {
    const selector = {
      matchLabels: { app: "vote" },
      matchExpressions: [{ key: "example.com/team", operator: "In" as const, values: ["blue"] }],
    };
    expect(matchesLabelSelector(selector, labels)).toBe(true);
    expect(matchesLabelSelector(selector, { ...labels, "example.com/team": "red" })).toBe(false);
  });

  it("does not treat inherited object properties as labels", () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: "toString", operator: "Exists" }] }, {})).toBe(
      false,
    );
  });
});

describe("validateLabelSelector", () => {
  it("requires values for In/NotIn and forbids them for Exists/DoesNotExist", () => {
    const problems = validateLabelSelector({
      matchExpressions: [
        { key: "a", operator: "In", values: [] },
        { key: "b", operator: "Exists", values: ["x"] },
      ],
    });
    expect(problems).toEqual([
      { field: "matchExpressions[0].values", message: "must be specified when operator is 'In'" },
      { field: "matchExpressions[1].values", message: "may not be specified when operator is 'Exists'" },
    ]);
  });

  it("rejects unknown operators and invalid keys/values", () => {
    const problems = validateLabelSelector({
      matchLabels: { "bad key": "ok", good: "bad value!" },
      matchExpressions: [{ key: "a", operator: "Equals" as unknown as "In" }],
    });
    expect(problems.map((p) => p.field)).toEqual([
      "matchLabels[bad key]",
      "matchLabels[good]",
      "matchExpressions[0].operator",
    ]);
    expect(problems[2]?.message).toContain("must be one of In, NotIn, Exists, DoesNotExist");
  });
});

describe("parseLabelSelector", () => {
  it("reads the kubectl selector syntax", () => {
    expect(parseLabelSelector("app=vote, tier!=db,env in (prod, staging),!legacy,release")).toEqual({
      matchLabels: { app: "vote" },
      matchExpressions: [
        { key: "tier", operator: "NotIn", values: ["db"] },
        { key: "env", operator: "In", values: ["prod", "staging"] },
        { key: "legacy", operator: "DoesNotExist" },
        { key: "release", operator: "Exists" },
      ],
    });
    expect(parseLabelSelector("")).toEqual({});
  });

  it("rejects malformed terms with a typed error", () => {
    expect(() => parseLabelSelector("app=(x")).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector("env in ()")).toThrow(/must be specified when operator is 'In'/);
  });
});
