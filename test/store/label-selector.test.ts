import { describe, expect, it } from "vitest";
import { matchesLabelSelector } from "../../src/store/index.js";

describe("label selectors follow Kubernetes semantics", () => {
  const labels = { app: "vote", tier: "web" };

  it("matches everything with no or an empty selector", () => {
    expect(matchesLabelSelector(labels, undefined)).toBe(true);
    expect(matchesLabelSelector(undefined, {})).toBe(true);
  });

  it("requires every matchLabels pair", () => {
    expect(matchesLabelSelector(labels, { matchLabels: { app: "vote" } })).toBe(true);
    expect(matchesLabelSelector(labels, { matchLabels: { app: "vote", tier: "db" } })).toBe(false);
    expect(matchesLabelSelector(undefined, { matchLabels: { app: "vote" } })).toBe(false);
  });

  it("evaluates In, NotIn, Exists and DoesNotExist", () => {
    const sel = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", key: string, values?: string[]) =>
      matchesLabelSelector(labels, { matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
    expect(sel("In", "tier", ["web", "db"])).toBe(true);
    expect(sel("In", "missing", ["web"])).toBe(false);
    expect(sel("NotIn", "tier", ["db"])).toBe(true);
    expect(sel("NotIn", "tier", ["web"])).toBe(false);
    expect(sel("NotIn", "missing", ["web"])).toBe(true);
    expect(sel("Exists", "app")).toBe(true);
    expect(sel("Exists", "missing")).toBe(false);
    expect(sel("DoesNotExist", "missing")).toBe(true);
    expect(sel("DoesNotExist", "app")).toBe(false);
  });
});
