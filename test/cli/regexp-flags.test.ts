import { describe, expect, it } from "vitest";
import { restoreDefaultRegexpFlags, turnOnLinearRegexpEngine } from "../../src/cli/launcher/regexp-flags.js";

// The `l` flag exists only while V8's linear engine is on: how the policy engine checks for it.
// A variable, not a literal: a literal with `l` is a syntax error to the test's transpiler.
const LINEAR = "l";
const linearFlagAccepted = (): boolean => {
  try {
    new RegExp("a", LINEAR);
    return true;
  } catch {
    return false;
  }
};

describe("the CLI's regexp switch", () => {
  it("turns V8's linear engine on, and back to V8's defaults before a code cache is written", () => {
    expect(linearFlagAccepted()).toBe(false);
    turnOnLinearRegexpEngine();
    turnOnLinearRegexpEngine();
    expect(linearFlagAccepted()).toBe(true);
    restoreDefaultRegexpFlags();
    expect(linearFlagAccepted()).toBe(false);
    turnOnLinearRegexpEngine();
    expect(linearFlagAccepted()).toBe(true);
    restoreDefaultRegexpFlags();
  });
});
