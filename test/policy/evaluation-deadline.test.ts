import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { restoreDefaultRegexpFlags, turnOnLinearRegexpEngine } from "../../src/cli/launcher/regexp-flags.js";
import { policyWorkerScript } from "../../src/cli/policy-pool-setup.js";
import { PolicyEvaluationPool, PolicyPoolClosedError } from "../../src/controller/policy-pool.js";
import { buildPolicy, evaluatePolicy, selectLatest, useLinearRegexpEngine } from "../../src/policy/index.js";

// `(a+)+b` backtracks on every tag of a's without a b: with V8's linear fallback each match is
// bounded (~0.3 ms for 30 a's), so the cost is in the number of tags (the 31 s on 100,000).
const CATASTROPHIC = "(a+)+b";
const slowTags = (n: number): string[] => Array.from({ length: n }, (_, i) => `${"a".repeat(30)}!${i}`);
const normalTags = (n: number): string[] => Array.from({ length: n }, (_, i) => `1.${i % 1000}.${i}`);

let pool: PolicyEvaluationPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** Every job to a worker (inlineMaxChars 0): these tests are about the workers. */
function newPool(opts: { size?: number; graceMs?: number } = {}): PolicyEvaluationPool {
  pool = new PolicyEvaluationPool({ ...policyWorkerScript(), inlineMaxChars: 0, ...opts });
  return pool;
}

describe("a policy evaluation's time limit, in the caller's thread", () => {
  // As the CLI's entry does: V8 runs the patterns, with its linear engine as the fallback (re2js
  // alone never backtracks, so the slow pattern would not be slow).
  beforeAll(() => useLinearRegexpEngine(turnOnLinearRegexpEngine));
  afterAll(() => {
    useLinearRegexpEngine(undefined);
    restoreDefaultRegexpFlags();
  });

  it("stops between tags at the limit and says which pattern, how long and how far", () => {
    const tags = slowTags(100_000);
    const t0 = performance.now();
    const result = evaluatePolicy(
      { policy: { alphabetical: {} }, filterTags: { pattern: CATASTROPHIC }, limitMs: 200 },
      tags,
    );
    const took = performance.now() - t0;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.kind).toBe("deadline");
    if (result.failure.kind !== "deadline") return;
    expect(result.failure.message).toMatch(
      /^policy evaluation stopped after 0\.\d\ds \(limit 0\.20s; \d+ of 100000 tags read\) with filterTags\.pattern '\(a\+\)\+b'$/,
    );
    expect(result.failure.counts?.read).toBeGreaterThan(0);
    expect(result.failure.counts?.read).toBeLessThan(100_000);
    // Far from the 31 s the whole list takes: the limit is what ended it.
    expect(took).toBeLessThan(5_000);
  });

  it("gives the same selection as selectLatest when within its limit", () => {
    const tags = normalTags(20_000);
    const result = evaluatePolicy({ policy: { semver: { range: ">=1.500.0" } }, limitMs: 60_000 }, tags);
    const expected = selectLatest(buildPolicy({ semver: { range: ">=1.500.0" } }), tags);
    expect(result).toMatchObject({
      ok: true,
      selection: { latest: expected.latest, counts: expected.counts },
    });
  });

  it("reports an invalid spec as data naming the field", () => {
    const result = evaluatePolicy({ policy: { alphabetical: {} }, filterTags: { pattern: "(?<x" } }, ["a"]);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "invalid-spec", field: "spec.filterTags.pattern" },
    });
  });
});

describe("the policy evaluation pool (worker threads)", () => {
  it("selects in a worker with V8's linear engine switched on there", async () => {
    const p = newPool();
    const tags = normalTags(50_000);
    const request = {
      policy: { numerical: { order: "asc" as const } },
      filterTags: { pattern: "^1\\.(?P<n>[0-9]+)\\.", extract: "$n" },
    };
    const result = await p.evaluate({ ...request, limitMs: 30_000 }, tags);
    const inline = evaluatePolicy(request, tags);
    expect(result.ok && inline.ok && result.selection).toEqual(inline.ok && inline.selection);
    // The worker compiled the pattern for V8 (not the re2js fallback): its entry handed the
    // policy engine the switch of V8's linear-engine flags.
    expect(result.ok && result.filterEngine).toBe("v8");
  });

  it("ends a catastrophic pattern at its limit while the caller's loop keeps turning", async () => {
    const p = newPool();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const result = await p.evaluate(
      { policy: { alphabetical: {} }, filterTags: { pattern: `^${CATASTROPHIC}$` }, limitMs: 1_000 },
      slowTags(100_000),
    );
    const took = performance.now() - t0;
    clearInterval(ticker);
    expect(result).toMatchObject({ ok: false, failure: { kind: "deadline", limitMs: 1_000 } });
    expect(result.ok || result.failure.message).toContain("filterTags.pattern '^(a+)+b$'");
    expect(took).toBeGreaterThanOrEqual(1_000);
    // The loop was free the whole time (a blocked loop would have ticked once or twice).
    expect(ticks).toBeGreaterThan(took / 10 / 4);
    // The worker stopped itself and stays in the pool for the next job.
    expect(p.workerCount).toBe(1);
    const next = await p.evaluate({ policy: { alphabetical: {} }, limitMs: 5_000 }, ["a", "c", "b"]);
    expect(next).toMatchObject({ ok: true, selection: { latest: "c" } });
    expect(p.workerCount).toBe(1);
  });

  it("terminates a worker that does not answer within its limit and grace, and replaces it", async () => {
    const p = newPool({ graceMs: 100 });
    // One tag of 8 MB: the check between tags never comes, so only terminate() can end it.
    const huge = `${"a".repeat(8 << 20)}!`;
    const t0 = performance.now();
    const result = await p.evaluate(
      { policy: { alphabetical: {} }, filterTags: { pattern: `(a|aa)+(a+)+b` }, limitMs: 50 },
      [huge, "x"],
    );
    const took = performance.now() - t0;
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "deadline", limitMs: 50, counts: undefined },
    });
    expect(result.ok || result.failure.message).toMatch(/\(limit 0\.05s; 2 tags\) with filterTags\.pattern/);
    expect(took).toBeLessThan(5_000);
    expect(p.workerCount).toBe(0);
    const next = await p.evaluate({ policy: { alphabetical: { order: "desc" } }, limitMs: 5_000 }, [
      "b",
      "a",
    ]);
    expect(next).toMatchObject({ ok: true, selection: { latest: "a" } });
  });

  it("queues jobs beyond its size, and close() fails what is left", async () => {
    const p = newPool({ size: 1 });
    const slow = p.evaluate(
      { policy: { alphabetical: {} }, filterTags: { pattern: CATASTROPHIC }, limitMs: 60_000 },
      slowTags(100_000),
    );
    const queued = p.evaluate({ policy: { alphabetical: {} }, limitMs: 60_000 }, ["a"]);
    // Observed before close() rejects them, so no rejection goes unhandled in between.
    const outcomes = Promise.allSettled([slow, queued]);
    await new Promise((r) => setTimeout(r, 300));
    expect(p.workerCount).toBe(1);
    const t0 = performance.now();
    await p.close();
    expect(performance.now() - t0).toBeLessThan(1_000);
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe("rejected");
      if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(PolicyPoolClosedError);
    }
    await expect(p.evaluate({ policy: { alphabetical: {} } }, ["a"])).rejects.toBeInstanceOf(
      PolicyPoolClosedError,
    );
  });
});

describe("small tag lists", () => {
  it("are evaluated in the caller's thread, with no worker started", async () => {
    const p = new PolicyEvaluationPool({ ...policyWorkerScript() });
    try {
      const r = await p.evaluate({ policy: { alphabetical: { order: "asc" } }, limitMs: 5_000 }, [
        "a",
        "c",
        "b",
      ]);
      expect(r).toMatchObject({ ok: true, selection: { latest: "c" } });
      expect(p.workerCount).toBe(0);
    } finally {
      await p.close();
    }
  });
});
