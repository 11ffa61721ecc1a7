import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readyMessage } from "../../src/api/image-ref.js";
import type { ImageRef } from "../../src/api/types.js";
import {
  buildPolicy,
  compileExclusionList,
  latestTags,
  NoSelectableTagError,
  type PolicyChoice,
  PolicySpecError,
  parseFluxVersion,
  selectLatest,
  sortVersions,
  type TagFilterSpec,
} from "../../src/policy/index.js";

interface Vectors {
  cases: {
    name: string;
    policy: PolicyChoice;
    filterTags?: TagFilterSpec;
    tags: string[];
    expected: string | null;
    expectError?: boolean;
    shuffled?: boolean;
    errorKind?: string;
  }[];
  constructionCases: { name: string; policy: PolicyChoice; expectError: boolean }[];
  filterCases: { name: string; filterTags: TagFilterSpec; tags: string[]; expectedItems: string[] }[];
  exclusionCases: {
    name: string;
    exclusionList: string[] | null;
    tags: string[];
    expectedTags: string[] | null;
    expectError?: boolean;
  }[];
  latestTagsCases: { name: string; tags: string[]; expectedLatestTags: string[] | null }[];
  versionParseCases: { tag: string; valid: boolean }[];
  versionSortCases: { name: string; range: string; tags: string[]; expected: string[] }[];
  readyMessageCases: {
    name: string;
    latestRef: ImageRef;
    observedPreviousRef?: ImageRef;
    expectedMessage: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../fixtures/conformance/policy-vectors.json", import.meta.url), "utf8"),
) as Vectors;

/** Deterministic permutations so "shuffled" cases are checked in several orders. */
function permutations(tags: string[]): string[][] {
  const out = [tags, [...tags].reverse()];
  for (let seed = 1; seed <= 5; seed++) {
    const copy = [...tags];
    let s = seed;
    for (let i = copy.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [copy[i], copy[j]] = [copy[j] as string, copy[i] as string];
    }
    out.push(copy);
  }
  return out;
}

describe("conformance: cases (latest tag selection)", () => {
  for (const c of vectors.cases) {
    it(c.name, () => {
      const run = (tags: string[]): string => selectLatest(buildPolicy(c.policy, c.filterTags), tags).latest;
      if (c.expectError) {
        const expected =
          c.errorKind === "invalidPolicy" ? PolicySpecError : c.errorKind ? Error : NoSelectableTagError;
        expect(() => run(c.tags)).toThrow(expected);
        return;
      }
      for (const tags of c.shuffled ? permutations(c.tags) : [c.tags]) expect(run(tags)).toBe(c.expected);
    });
  }
});

describe("conformance: constructionCases", () => {
  for (const c of vectors.constructionCases) {
    it(c.name, () => {
      if (c.expectError) expect(() => buildPolicy(c.policy)).toThrow(PolicySpecError);
      else expect(buildPolicy(c.policy).kind).toBeTypeOf("string");
    });
  }
});

describe("conformance: filterCases", () => {
  for (const c of vectors.filterCases) {
    it(c.name, () => {
      // alphabetical with a large top lists every candidate value exactly once
      const sel = selectLatest(buildPolicy({ alphabetical: {} }, c.filterTags), c.tags, { top: 1000 });
      expect(sel.candidates.map((x) => x.value).sort()).toEqual(c.expectedItems);
    });
  }

  it("later tags with the same extracted value win", () => {
    const policy = buildPolicy({ alphabetical: {} }, { pattern: "^(?P<v>[a-z]+)-", extract: "$v" });
    const sel = selectLatest(policy, ["a-1", "b-1", "a-2"], { top: 10 });
    expect(sel.candidates).toEqual([
      { tag: "b-1", value: "b" },
      { tag: "a-2", value: "a" },
    ]);
  });
});

describe("conformance: exclusionCases", () => {
  for (const c of vectors.exclusionCases) {
    it(c.name, () => {
      const list = c.exclusionList ?? undefined;
      if (c.expectError) {
        expect(() => compileExclusionList(list)).toThrow(PolicySpecError);
        return;
      }
      const excluded = compileExclusionList(list);
      expect(c.tags.filter((t) => !excluded(t))).toEqual(c.expectedTags);
    });
  }

  it("names the failing entry of the list", () => {
    const err = (() => {
      try {
        compileExclusionList(["ok", "fine", "[="]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PolicySpecError);
    expect((err as PolicySpecError).field).toBe("spec.exclusionList[2]");
  });
});

describe("conformance: latestTagsCases", () => {
  for (const c of vectors.latestTagsCases) {
    it(c.name, () => {
      expect(latestTags(c.tags)).toEqual(c.expectedLatestTags ?? []);
    });
  }
});

describe("conformance: versionParseCases", () => {
  for (const c of vectors.versionParseCases) {
    it(JSON.stringify(c.tag), () => {
      expect(parseFluxVersion(c.tag) !== undefined).toBe(c.valid);
    });
  }
});

describe("conformance: versionSortCases", () => {
  for (const c of vectors.versionSortCases) {
    it(c.name, () => {
      expect(sortVersions(c.range, c.tags)).toEqual(c.expected);
    });
  }
});

describe("conformance: readyMessageCases", () => {
  for (const c of vectors.readyMessageCases) {
    it(c.name, () => {
      expect(readyMessage(c.latestRef, c.observedPreviousRef)).toBe(c.expectedMessage);
    });
  }
});
