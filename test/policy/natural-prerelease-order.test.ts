import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildPolicy,
  comparePrereleaseNatural,
  compareVersions,
  compareVersionsNatural,
  createTagSelector,
  PolicySpecError,
  parseFluxVersion,
  selectLatest,
} from "../../src/policy/index.js";

const semver = (range: string, natural: boolean) =>
  buildPolicy({ semver: { range } }, undefined, natural ? { prereleaseOrder: "natural" } : {});

describe("natural pre-release order (opt-in)", () => {
  it("orders digit runs inside identifiers numerically where Flux compares bytes", () => {
    const tags = ["1.0.0-rc9", "1.0.0-rc10", "1.0.0-rc2"];
    expect(selectLatest(semver(">=1.0.0-0", false), tags).latest).toBe("1.0.0-rc9");
    expect(selectLatest(semver(">=1.0.0-0", true), tags).latest).toBe("1.0.0-rc10");
    expect(
      selectLatest(semver(">=1.0.0-0", true), ["2.0.0-beta2", "2.0.0-beta10", "2.0.0-beta9"]).latest,
    ).toBe("2.0.0-beta10");
  });

  it("keeps the semver rules that do not involve digit runs", () => {
    const order = (a: string, b: string) => comparePrereleaseNatural(a, b);
    expect(order("alpha", "beta")).toBe(-1);
    expect(order("1", "alpha")).toBe(-1); // numeric identifiers below alphanumeric ones
    expect(order("rc.1", "rc.1.1")).toBe(-1); // a missing identifier first
    expect(order("rc10.1", "rc9.5")).toBe(1);
    expect(order("rc", "rc1")).toBe(-1);
    expect(order("rc01", "rc1")).toBe(1); // equal numbers: more leading zeros after
    const release = parseFluxVersion("1.0.0");
    const pre = parseFluxVersion("1.0.0-rc10");
    if (!release || !pre) throw new Error("parse");
    expect(compareVersionsNatural(release, pre)).toBe(1);
  });

  it("ranks every candidate best first, the same as the Flux order whenever pre-releases are plain numbers", () => {
    const ranked = createTagSelector(semver(">=0.0.0-0", true), { top: Number.POSITIVE_INFINITY });
    for (const t of ["1.0.0-rc1", "1.0.0-rc10", "1.0.0-rc9", "0.9.0", "1.0.0"]) ranked.add(t);
    expect(ranked.finish().candidates.map((c) => c.tag)).toEqual([
      "1.0.0",
      "1.0.0-rc10",
      "1.0.0-rc9",
      "1.0.0-rc1",
      "0.9.0",
    ]);
    const ident = fc.oneof(fc.nat({ max: 10_000 }).map(String), fc.constantFrom("alpha", "beta", "rc"));
    const pre = fc.array(ident, { minLength: 1, maxLength: 3 }).map((p) => p.join("."));
    fc.assert(
      fc.property(pre, pre, (a, b) => {
        const x = parseFluxVersion(`1.2.3-${a}`);
        const y = parseFluxVersion(`1.2.3-${b}`);
        if (!x || !y) return;
        expect(compareVersionsNatural(x, y)).toBe(compareVersions(x, y));
      }),
    );
  });

  it("is a total order (antisymmetric and transitive) over mixed identifiers", () => {
    const id = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        expect(comparePrereleaseNatural(a, b)).toBe(-comparePrereleaseNatural(b, a) || 0);
        if (comparePrereleaseNatural(a, b) <= 0 && comparePrereleaseNatural(b, c) <= 0)
          expect(comparePrereleaseNatural(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it("is refused for a policy that is not semver", () => {
    expect(() => buildPolicy({ alphabetical: {} }, undefined, { prereleaseOrder: "natural" })).toThrow(
      PolicySpecError,
    );
  });
});
