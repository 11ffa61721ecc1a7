import { createRequire } from "node:module";

// node:v8 is loaded with the first pattern (1-2 ms of start-up a policy without one never needs).
const require = createRequire(import.meta.url);
let enabled = false;

/**
 * Turns on V8's linear-time regexp engine as a fallback for runaway backtracking.
 * Why: user patterns run on V8 for speed (7x faster than re2js on tags), and the
 * fallback is what keeps `^(a+)+$`-style patterns linear. The flags are process-wide
 * and must be set before the RegExp objects are created; they change nothing for
 * regexps that never backtrack excessively.
 */
export function enableLinearFallback(): void {
  if (enabled) return;
  enabled = true;
  const { setFlagsFromString } = require("node:v8") as typeof import("node:v8");
  setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  // Makes the `l` flag available, which is how we ask V8 whether a pattern is
  // something its linear engine can run (no lookaround, no backreference, no u/i flag).
  setFlagsFromString("--enable-experimental-regexp-engine");
}

/**
 * Undoes enableLinearFallback's flags (a later pattern sets them again). For the launcher's V8
 * code cache, written once the command is done: V8 checks a cache against the flags of the
 * process that reads it, which starts with the defaults, so the cache must be made under them.
 */
export function restoreDefaultRegexpFlags(): void {
  if (!enabled) return;
  enabled = false;
  const { setFlagsFromString } = require("node:v8") as typeof import("node:v8");
  setFlagsFromString("--no-enable-experimental-regexp-engine-on-excessive-backtracks");
  setFlagsFromString("--no-enable-experimental-regexp-engine");
}

/**
 * A backtracking RegExp for `source` whose excessive backtracking falls back to the
 * linear engine, or undefined when the linear engine cannot run the pattern (then the
 * fallback would silently not happen and the pattern could hang the process).
 */
export function compileLinearSafe(source: string): RegExp | undefined {
  enableLinearFallback();
  try {
    new RegExp(source, "l");
  } catch {
    return undefined;
  }
  return new RegExp(source);
}
