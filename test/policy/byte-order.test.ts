import { describe, expect, it } from "vitest";
import { buildPolicy, compareBytes, latestTags, selectLatest } from "../../src/policy/index.js";

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe("byte-wise UTF-8 string order (Go string compare)", () => {
  const words = [
    "a",
    "B",
    "b",
    "Z",
    "z",
    "é",
    "\uffff",
    "\u{1f600}",
    "\ue000",
    "a\u{10000}",
    "a\uffff",
    "",
    "aa",
    "0",
    "-",
  ];

  it("agrees with Buffer.compare on every pair, including astral vs U+E000..U+FFFF", () => {
    for (const a of words)
      for (const b of words) expect(Math.sign(compareBytes(a, b))).toBe(Math.sign(utf8Order(a, b)));
  });

  it("alphabetical asc returns the greatest, desc the smallest, by bytes not locale", () => {
    const tags = ["apple", "Zebra", "zebra", "éclair", "\u{1f600}", "\uffee"];
    expect(selectLatest(buildPolicy({ alphabetical: { order: "asc" } }), tags).latest).toBe("\u{1f600}");
    expect(selectLatest(buildPolicy({ alphabetical: { order: "desc" } }), tags).latest).toBe("Zebra");
  });

  it("latestTags sorts descending by bytes and keeps 10", () => {
    const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
    expect(latestTags([...tags, "\u{1f600}", "\uffff"], 3)).toEqual(["\u{1f600}", "\uffff", "t9"]);
    expect(latestTags(tags)).toHaveLength(10);
  });
});
