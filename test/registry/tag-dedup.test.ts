import { describe, expect, it } from "vitest";
import { TagCollector } from "../../src/registry/tag-collector.js";

describe("collecting tags across pages", () => {
  it("keeps ascending pages as they are and counts every tag as new", () => {
    const c = new TagCollector();
    expect(c.add(["1.0.0", "1.1.0", "2.0.0"])).toBe(3);
    expect(c.add(["3.0.0", "4.0.0"])).toBe(2);
    expect(c.add([])).toBe(0);
    expect(c.finish()).toEqual(["1.0.0", "1.1.0", "2.0.0", "3.0.0", "4.0.0"]);
  });

  it("drops duplicates inside an unordered page, keeping first-seen order", () => {
    const c = new TagCollector();
    expect(c.add(["b", "a", "b", "c", "a"])).toBe(3);
    expect(c.add(["d", "a", "e"])).toBe(2);
    expect(c.finish()).toEqual(["b", "a", "c", "d", "e"]);
    const single = new TagCollector();
    single.add(["b", "a", "b", "c", "a"]);
    expect(single.finish()).toEqual(["b", "a", "c"]);
  });

  it("drops a page that repeats earlier tags (a registry looping on its last page)", () => {
    const c = new TagCollector();
    expect(c.add(["a", "b", "c"])).toBe(3);
    expect(c.add(["a", "b", "c"])).toBe(0);
    expect(c.add(["c", "d"])).toBe(1);
    expect(c.add(["e"])).toBe(1);
    expect(c.finish()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("ends with finish(): no page may follow, and it is given once", () => {
    const c = new TagCollector();
    c.add(["a"]);
    expect(c.finish()).toEqual(["a"]);
    expect(() => c.add(["b"])).toThrow(/after finish/);
    expect(() => c.finish()).toThrow(/already/);
  });
});
