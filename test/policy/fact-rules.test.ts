import { describe, expect, it } from "vitest";
import {
  buildPolicy,
  chooseWithFacts,
  createTagSelector,
  describeVerdict,
  type TagFacts,
} from "../../src/policy/index.js";

const H = 3_600_000;
const NOW = Date.parse("2026-12-03T12:00:00Z");

function ranked(tags: string[], choice = { semver: { range: "*" } }) {
  const s = createTagSelector(buildPolicy(choice), { top: Number.POSITIVE_INFINITY });
  for (const t of tags) s.add(t);
  return s.finish().candidates;
}

describe("fact-based rules (pure)", () => {
  it("min-age: a tag younger than the age waits; the best old-enough one wins", () => {
    const facts = new Map<string, TagFacts>([
      ["1.2.0", { createdAt: NOW - 2 * H }],
      ["1.1.0", { createdAt: NOW - 30 * H }],
    ]);
    const c = chooseWithFacts(ranked(["1.1.0", "1.2.0", "1.0.0"]), facts, { minAgeMs: 24 * H, now: NOW });
    expect(c.latest?.tag).toBe("1.1.0");
    expect(c.undetermined).toBe(false);
    const waiting = c.judged.find((j) => j.tag === "1.2.0");
    expect(waiting?.verdict).toEqual({ state: "waiting", until: NOW + 22 * H });
    expect(describeVerdict(waiting?.verdict ?? { state: "eligible" })).toBe(
      "waits until 2026-12-04T10:00:00Z (minimum age)",
    );
    // 1.0.0 was never read: it ranks below the winner, so the choice stands.
    expect(c.judged.find((j) => j.tag === "1.0.0")?.verdict.state).toBe("unknown");
  });

  it("an unknown fact ranked above the winner leaves the choice undetermined", () => {
    const facts = new Map<string, TagFacts>([["1.1.0", { createdAt: NOW - 30 * H }]]);
    const c = chooseWithFacts(ranked(["1.1.0", "1.2.0"]), facts, { minAgeMs: H, now: NOW });
    expect(c.latest?.tag).toBe("1.1.0");
    expect(c.undetermined).toBe(true);
  });

  it("newest: created time decides; ties go to the alphabetically greatest tag", () => {
    const facts = new Map<string, TagFacts>([
      ["main-aaa", { createdAt: NOW - 5 * H }],
      ["main-bbb", { createdAt: NOW - H }],
      ["main-ccc", { createdAt: NOW - H }],
      ["main-000", { createdAt: NOW - 9 * H }],
    ]);
    const all = ranked(["main-aaa", "main-bbb", "main-ccc", "main-000"], { alphabetical: {} } as never);
    const c = chooseWithFacts(all, facts, { newest: true, now: NOW });
    expect(c.latest?.tag).toBe("main-ccc");
    expect(c.judged.map((j) => j.tag)).toEqual(["main-ccc", "main-bbb", "main-aaa", "main-000"]);
    const young = chooseWithFacts(all, facts, { newest: true, minAgeMs: 2 * H, now: NOW });
    expect(young.latest?.tag).toBe("main-aaa");
    expect(chooseWithFacts(all, new Map([...facts].slice(1)), { newest: true, now: NOW }).undetermined).toBe(
      true,
    );
  });

  it("verify: unverified tags are skipped with their reason", () => {
    const facts = new Map<string, TagFacts>([
      ["2.0.0", { verified: false, reason: "no signature" }],
      ["1.9.0", { verified: false, reason: "wrong key" }],
      ["1.8.0", { verified: true }],
    ]);
    const c = chooseWithFacts(ranked(["2.0.0", "1.9.0", "1.8.0"]), facts, { verify: true, now: NOW });
    expect(c.latest?.tag).toBe("1.8.0");
    expect(c.judged.map((j) => describeVerdict(j.verdict))).toEqual([
      "unverified: no signature",
      "unverified: wrong key",
      "selected",
    ]);
  });

  it("nothing passes: no latest, and nothing undetermined when every fact is known", () => {
    const facts = new Map<string, TagFacts>([["1.0.0", { createdAt: NOW }]]);
    const c = chooseWithFacts(ranked(["1.0.0"]), facts, { minAgeMs: H, now: NOW });
    expect(c.latest).toBeUndefined();
    expect(c.undetermined).toBe(false);
  });
});
