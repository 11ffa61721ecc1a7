import { describe, expect, it } from "vitest";
import {
  DurationError,
  formatDuration,
  formatDurationNs,
  isValidDuration,
  normalizeDuration,
  parseDuration,
} from "../../src/api/duration.js";

describe("parseDuration", () => {
  it.each([
    ["750ms", 750],
    ["1s", 1000],
    ["1.5s", 1500],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["1m30s", 90_000],
    ["0s", 0],
    ["0.5ms", 0.5],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "5", "5 m", "1d", "10us", "1ns", "-1s", "+1s", ".5s", "1.s", "m", "5M"])(
    "rejects %j, which the Flux CRD pattern does not allow",
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
    },
  );

  it("rejects durations beyond Go's int64 nanoseconds", () => {
    expect(() => parseDuration("2562048h")).toThrow(/out of range/);
    expect(parseDuration("2562047h")).toBe(2562047 * 3_600_000);
  });

  it("names the input and the accepted form in its error", () => {
    expect(() => parseDuration("5 minutes")).toThrow(
      'invalid duration "5 minutes": expected a duration such as',
    );
  });
});

describe("isValidDuration", () => {
  it("does not allow hours in timeouts", () => {
    expect(isValidDuration("1h", "interval")).toBe(true);
    expect(isValidDuration("1h", "timeout")).toBe(false);
    expect(isValidDuration("90m", "timeout")).toBe(true);
  });
});

describe("formatDuration prints like Go's time.Duration.String", () => {
  it.each([
    [60_000, "1m0s"],
    [300_000, "5m0s"],
    [3_600_000, "1h0m0s"],
    [750, "750ms"],
    [0, "0s"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [5_400_000, "1h30m0s"],
    [61_500, "1m1.5s"],
    [0.5, "500µs"],
    [0.000_001, "1ns"],
    [-60_000, "-1m0s"],
    [100 * 3_600_000, "100h0m0s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("formats Go's largest duration", () => {
    expect(formatDurationNs((1n << 63n) - 1n)).toBe("2562047h47m16.854775807s");
  });

  it("normalises what users write to what flux --export prints", () => {
    expect(normalizeDuration("5m")).toBe("5m0s");
    expect(normalizeDuration("60s")).toBe("1m0s");
    expect(normalizeDuration("1h")).toBe("1h0m0s");
    expect(normalizeDuration("1m0s")).toBe("1m0s");
    expect(normalizeDuration("1.25m")).toBe("1m15s");
  });
});
