import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPolicy, NoSelectableTagError, type Policy, selectLatest } from "../../src/policy/index.js";

// Property-based checks of the policy engine against naive references written from Flux's rules,
// with fixed seeds and run counts so every CI run checks the same cases (a failure prints the seed
// and the shrunk counter-example; rerun with that seed to reproduce).
const RUNS = { seed: 20261203, numRuns: 300 } as const;

/** The selected tag, or null when the engine finds nothing selectable. */
function pick(policy: Policy, tags: readonly string[]): string | null {
  try {
    return selectLatest(policy, tags).latest;
  } catch (err) {
    if (err instanceof NoSelectableTagError) return null;
    throw err;
  }
}

// ---- semver ---------------------------------------------------------------------------------

type V = [number, number, number];
const cmp = (a: V, b: V): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** A range and its meaning as a predicate, for release versions only (no pre-releases). */
const rangeArb: fc.Arbitrary<{ range: string; admits: (v: V) => boolean }> = (() => {
  const d = fc.integer({ min: 0, max: 4 });
  const v3 = fc.tuple(d, d, d);
  const one = fc.oneof(
    fc.constant({ range: "*", admits: () => true }),
    fc.tuple(v3, v3).map(([lo, hi]) => ({
      range: `>=${lo.join(".")} <${hi.join(".")}`,
      admits: (v: V) => cmp(v, lo) >= 0 && cmp(v, hi) < 0,
    })),
    d.map((m) => ({ range: `${m}.x`, admits: (v: V) => v[0] === m })),
    fc.tuple(d, d).map(([m, n]) => ({ range: `~${m}.${n}`, admits: (v: V) => v[0] === m && v[1] === n })),
    fc.tuple(fc.integer({ min: 1, max: 4 }), d, d).map(([m, n, p]) => ({
      range: `^${m}.${n}.${p}`,
      admits: (v: V) => v[0] === m && cmp(v, [m, n, p]) >= 0,
    })),
    v3.map((x) => ({ range: `=${x.join(".")}`, admits: (v: V) => cmp(v, x) === 0 })),
  );
  return fc.oneof(
    one,
    fc.tuple(one, one).map(([a, b]) => ({
      range: `${a.range} || ${b.range}`,
      admits: (v: V) => a.admits(v) || b.admits(v),
    })),
  );
})();

interface SemverTag {
  tag: string;
  v?: V;
}
const semverTagArb: fc.Arbitrary<SemverTag> = fc
  .oneof(
    { weight: 5, arbitrary: fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4), fc.boolean()) },
    { weight: 1, arbitrary: fc.constantFrom("latest", "main-abc1234", "1.2", "v", "1.0.0.0", "sha-1") },
  )
  .map((x) => {
    if (typeof x === "string") return { tag: x };
    const [a, b, c, prefixed] = x;
    return { tag: `${prefixed ? "v" : ""}${a}.${b}.${c}`, v: [a, b, c] as V };
  });

/** Flux: highest admitted version; of equal versions the first in list order. */
function semverReference(tags: readonly SemverTag[], admits: (v: V) => boolean): string | null {
  let best: SemverTag | undefined;
  for (const t of tags) {
    if (!t.v || !admits(t.v)) continue;
    if (!best?.v || cmp(t.v, best.v) > 0) best = t;
  }
  return best?.tag ?? null;
}

// ---- numerical ------------------------------------------------------------------------------

const numberTagArb = fc.oneof(
  fc.integer({ min: -5, max: 60 }).map(String),
  fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 99 })).map(([i, f]) => `${i}.${f}`),
  fc.integer({ min: 0, max: 50 }).map((i) => `${i}.0`),
);

/** Flux: the newcomer replaces the pick unless strictly worse, so of equal values the last wins. */
function numericalReference(tags: readonly string[], asc: boolean): string | null {
  let best: string | undefined;
  for (const t of tags) {
    if (best === undefined) best = t;
    else {
      const x = Number(t);
      const y = Number(best);
      if (asc ? !(x < y) : !(x > y)) best = t;
    }
  }
  return best ?? null;
}

// ---- alphabetical ---------------------------------------------------------------------------

// Any Unicode (astral planes included): Go compares UTF-8 bytes, which UTF-16 `<` gets wrong.
const alphaTagArb = fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 });

function alphabeticalReference(tags: readonly string[], asc: boolean): string | null {
  if (tags.length === 0) return null;
  const sorted = [...tags].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return (asc ? sorted[sorted.length - 1] : sorted[0]) as string;
}

describe("policy selection agrees with a naive reference", () => {
  it("semver: the highest admitted version, the first of equal ones", () => {
    fc.assert(
      fc.property(rangeArb, fc.array(semverTagArb, { maxLength: 25 }), (r, tags) => {
        const policy = buildPolicy({ semver: { range: r.range } });
        expect(
          pick(
            policy,
            tags.map((t) => t.tag),
          ),
        ).toBe(semverReference(tags, r.admits));
      }),
      RUNS,
    );
  });

  it("numerical: largest (asc) or smallest (desc) value, the last of equal ones", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(numberTagArb, { maxLength: 25 }), (asc, tags) => {
        const policy = buildPolicy({ numerical: { order: asc ? "asc" : "desc" } });
        expect(pick(policy, tags)).toBe(numericalReference(tags, asc));
      }),
      RUNS,
    );
  });

  it("numerical: one non-numeric tag makes the selection fail, naming the value", () => {
    fc.assert(
      fc.property(
        fc.array(numberTagArb, { maxLength: 10 }),
        fc.constantFrom("latest", "1.0.0", "v2", "0x1g", ""),
        fc.nat(10),
        (tags, bad, at) => {
          const all = [...tags];
          all.splice(Math.min(at, all.length), 0, bad);
          const err = (() => {
            try {
              selectLatest(buildPolicy({ numerical: {} }), all);
            } catch (e) {
              return e;
            }
          })();
          expect(err).toBeInstanceOf(NoSelectableTagError);
          expect((err as Error).message).toBe(`failed to parse invalid numeric value '${bad}'`);
        },
      ),
      RUNS,
    );
  });

  it("alphabetical: greatest (asc) or smallest (desc) in UTF-8 byte order", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(alphaTagArb, { maxLength: 25 }), (asc, tags) => {
        const policy = buildPolicy({ alphabetical: { order: asc ? "asc" : "desc" } });
        expect(pick(policy, tags)).toBe(alphabeticalReference(tags, asc));
      }),
      RUNS,
    );
  });
});

describe("the order tags are listed in does not matter when no two compare equal", () => {
  const permuted = <T>(arb: fc.Arbitrary<T[]>) =>
    arb.chain((xs) =>
      fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }).map((ys) => [xs, ys] as const),
    );

  it("semver over distinct versions", () => {
    const distinct = fc.uniqueArray(semverTagArb, {
      maxLength: 20,
      selector: (t) => (t.v ? t.v.join(".") : t.tag),
    });
    fc.assert(
      fc.property(rangeArb, permuted(distinct), (r, [a, b]) => {
        const policy = buildPolicy({ semver: { range: r.range } });
        expect(
          pick(
            policy,
            b.map((t) => t.tag),
          ),
        ).toBe(
          pick(
            policy,
            a.map((t) => t.tag),
          ),
        );
      }),
      RUNS,
    );
  });

  it("numerical over distinct values", () => {
    const distinct = fc.uniqueArray(numberTagArb, { maxLength: 20, selector: (t) => Number(t) });
    fc.assert(
      fc.property(fc.boolean(), permuted(distinct), (asc, [a, b]) => {
        const policy = buildPolicy({ numerical: { order: asc ? "asc" : "desc" } });
        expect(pick(policy, b)).toBe(pick(policy, a));
      }),
      RUNS,
    );
  });

  it("alphabetical over any tags", () => {
    fc.assert(
      fc.property(fc.boolean(), permuted(fc.array(alphaTagArb, { maxLength: 20 })), (asc, [a, b]) => {
        const policy = buildPolicy({ alphabetical: { order: asc ? "asc" : "desc" } });
        expect(pick(policy, b)).toBe(pick(policy, a));
      }),
      RUNS,
    );
  });
});

describe("filterTags: pattern and extract", () => {
  // Build tags such as `build-12` / `ci-12` (same extracted value), plus noise that must not match.
  const tagArb: fc.Arbitrary<string | [string, number]> = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom<string>("build", "ci"), fc.nat(30)) },
    { weight: 1, arbitrary: fc.constantFrom("latest", "build-", "build-x1", "pr-7", "build-3-dirty") },
  );
  const asTag = (t: string | [string, number]) => (typeof t === "string" ? t : `${t[0]}-${t[1]}`);

  it("selects by the extracted number; of tags with the same value, the later one", () => {
    const policy = buildPolicy(
      { numerical: { order: "asc" } },
      { pattern: "^(?:build|ci)-(?P<n>[0-9]+)$", extract: "$n" },
    );
    fc.assert(
      fc.property(fc.array(tagArb, { maxLength: 30 }), (raw) => {
        const tags = raw.map(asTag);
        const matching = raw.filter((t): t is [string, number] => typeof t !== "string");
        const max = Math.max(...matching.map((t) => t[1]));
        // Flux keeps candidates in a map keyed by value: a later tag with the same value replaces it.
        const expected = matching.length
          ? asTag(matching.filter((t) => t[1] === max).at(-1) as [string, number])
          : null;
        const sel = (() => {
          try {
            return selectLatest(policy, tags);
          } catch (e) {
            if (e instanceof NoSelectableTagError) return null;
            throw e;
          }
        })();
        expect(sel?.latest ?? null).toBe(expected);
        if (sel) {
          expect(sel.value).toBe(String(max));
          expect(sel.counts.matched).toBe(matching.length);
          expect(sel.counts.candidates).toBe(new Set(matching.map((t) => t[1])).size);
        }
      }),
      RUNS,
    );
  });

  it("a filter without extract compares the whole tag; non-matching tags never win", () => {
    const policy = buildPolicy({ alphabetical: { order: "asc" } }, { pattern: "^build-" });
    fc.assert(
      fc.property(fc.array(tagArb, { maxLength: 30 }), (raw) => {
        const tags = raw.map(asTag);
        expect(pick(policy, tags)).toBe(
          alphabeticalReference(
            tags.filter((t) => t.startsWith("build-")),
            true,
          ),
        );
      }),
      RUNS,
    );
  });
});
