import { describe, expect, it } from "vitest";
import { parseGoFloat } from "../../src/policy/index.js";

// Accept/reject and values as Go's strconv.ParseFloat(s, 64).
describe("Go strconv.ParseFloat grammar", () => {
  const accepted: [string, number][] = [
    ["0", 0],
    ["42", 42],
    ["1700000000", 1700000000],
    ["-5", -5],
    ["+5", 5],
    ["1.5", 1.5],
    ["1.", 1],
    [".5", 0.5],
    ["1e3", 1000],
    ["1E-2", 0.01],
    ["1_000", 1000],
    ["1_000.000_1", 1000.0001],
    ["1e1_0", 1e10],
    ["0x1p-2", 0.25],
    ["0x1.8p1", 3],
    ["0X_1P4", 16],
    ["inf", Number.POSITIVE_INFINITY],
    ["+Inf", Number.POSITIVE_INFINITY],
    ["-infinity", Number.NEGATIVE_INFINITY],
    ["1e-400", 0],
    ["01", 1],
    ["9007199254740993", 9007199254740992], // beyond 2^53 rounds like float64
  ];
  for (const [s, v] of accepted) {
    it(`accepts ${JSON.stringify(s)}`, () => {
      expect(parseGoFloat(s)).toBe(v);
    });
  }

  it("accepts NaN in any case but not with a sign", () => {
    expect(parseGoFloat("NaN")).toBeNaN();
    expect(parseGoFloat("nan")).toBeNaN();
    expect(parseGoFloat("+nan")).toBeUndefined();
  });

  const rejected = [
    "",
    " 1",
    "1 ",
    "1a",
    "b",
    "0x10", // hex needs a p exponent
    "0x",
    "0xp1",
    "0b101",
    "0o7",
    "_1",
    "1_",
    "1__0",
    "1_.5",
    "1e",
    "1e+",
    "1e_5",
    ".",
    "-",
    "infin",
    "Infinityy",
    "1e400", // out of range: Go returns ErrRange
    "1,5",
    "v1",
  ];
  for (const s of rejected) {
    it(`rejects ${JSON.stringify(s)}`, () => {
      expect(parseGoFloat(s)).toBeUndefined();
    });
  }
});
