import { describe, expect, it } from "vitest";
import {
  buildPolicy,
  compileExclusionList,
  compileGoRegex,
  createTagSelector,
  type Policy,
  type SelectOptions,
  selectLatest,
} from "../../src/policy/index.js";

/** Flux's map semantics written out plainly: the reference the streaming selector must equal. */
function mapReference(policy: Policy, tags: string[]): { value: string; tag: string }[] {
  const filter = policy.filter;
  if (!filter) throw new Error("reference needs a filter");
  const byValue = new Map<string, string>();
  for (const tag of tags) {
    const m = filter.regex.exec(tag);
    if (m) byValue.set(filter.template ? filter.template.expand(m) : tag, tag);
  }
  return [...byValue].map(([value, tag]) => ({ value, tag }));
}

function streamed(policy: Policy, tags: string[], opts: SelectOptions, ascii: boolean) {
  const selector = createTagSelector(policy, opts);
  for (const tag of tags) selector.add(tag, ascii);
  return selector.finish();
}

describe("streaming selection keeps Flux's value map semantics", () => {
  const policy = buildPolicy({ numerical: {} }, { pattern: "^b-[a-z]+-(?P<n>\\d+)$", extract: "$n" });

  it("a repeated value keeps its first place and takes the last tag, also after leaving the top", () => {
    const tags = ["b-a-5", "b-b-9", "b-c-7", "b-d-1", "b-e-5", "b-f-9", "b-g-8", "b-h-5", "b-i-1"];
    const sel = selectLatest(policy, tags, { top: 2 });
    expect(sel.candidates).toEqual([
      { tag: "b-f-9", value: "9" },
      { tag: "b-g-8", value: "8" },
    ]);
    expect(sel.counts.candidates).toBe(5);
    expect(sel.counts.matched).toBe(9);
    // The full ranking agrees with the plain map: every value carries its last tag.
    const all = selectLatest(policy, tags, { top: 100 }).candidates;
    const ref = mapReference(policy, tags);
    expect(all.map((c) => c.tag).sort()).toEqual(ref.map((c) => c.tag).sort());
  });

  it("equal numbers with different spellings tie by first appearance of each value", () => {
    const p = buildPolicy({ numerical: {} }, { pattern: "^x-(?P<n>.*)$", extract: "$n" });
    // "1.0" first appears before "01"; both later re-appear: the later *value* still wins the tie.
    const sel = selectLatest(p, ["x-1.0", "x-01", "x-1.0", "y", "x-01"], { top: 5 });
    expect(sel.latest).toBe("x-01");
    expect(sel.candidates).toEqual([
      { tag: "x-01", value: "01" },
      { tag: "x-1.0", value: "1.0" },
    ]);
  });

  it("gives the same selection and counts with or without the ASCII hint", () => {
    const tags: string[] = [];
    for (let i = 0; i < 2000; i++) tags.push(`b-${"abcdefgh"[i % 8]}-${(i * 7919) % 613}`, `v${i}.sig`, "zz");
    const exclude = compileExclusionList(["\\.sig$", "^zz$"]);
    const plain = selectLatest(policy, tags, { exclude });
    expect(streamed(policy, tags, { exclude }, true)).toEqual(plain);
    expect(streamed(policy, tags, { exclude }, false)).toEqual(plain);
    expect(plain.counts.excluded).toBe(4000);
  });
});

describe("default exclusion list", () => {
  it("matches exactly what the Go pattern ^.*\\.sig$ matches", () => {
    const fast = compileExclusionList(undefined);
    const regex = compileGoRegex("^.*\\.sig$");
    const inputs = ["a.sig", ".sig", "sig", "a.sig\n", "a\nb.sig", "a.sigx", "é.sig", "a.SIG", "a\r.sig", ""];
    for (const tag of inputs) expect(fast(tag), JSON.stringify(tag)).toBe(regex.test(tag));
    expect(inputs.filter((t) => fast(t))).toEqual(["a.sig", ".sig", "é.sig", "a\r.sig"]);
  });
});
