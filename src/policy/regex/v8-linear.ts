/**
 * V8's linear-time regexp engine as a fallback for runaway backtracking. Why: user patterns run
 * on V8 for speed (7x faster than re2js on tags), and the fallback is what keeps `^(a+)+$`-style
 * patterns linear. It is turned on with V8 flags, which are process-wide, so the process's entry
 * owns them (the CLI's: src/cli/launcher/regexp-flags.ts) and hands the switch in here; the
 * engine only flips it when a pattern is compiled, so a command without one never pays for it.
 */

/**
 * Turns on, before the RegExp objects are created, both
 * `--enable-experimental-regexp-engine-on-excessive-backtracks` (the fallback) and
 * `--enable-experimental-regexp-engine` (the `l` flag, which is how we ask V8 whether its linear
 * engine can run a pattern). Idempotent: it is called for every pattern, since the process may
 * have turned the flags off since the last one.
 */
export type LinearRegexpSwitch = () => void;

let linearSwitch: LinearRegexpSwitch | undefined;

/** Hands in the process's switch; without one, every pattern runs on re2js (linear, slower). */
export function useLinearRegexpEngine(turnOn: LinearRegexpSwitch | undefined): void {
  linearSwitch = turnOn;
}

/**
 * A backtracking RegExp for `source` whose excessive backtracking falls back to the linear
 * engine, or undefined when the linear engine cannot run the pattern or is not turned on (then
 * the fallback would silently not happen and the pattern could hang the process).
 */
export function compileLinearSafe(source: string): RegExp | undefined {
  if (linearSwitch === undefined) return undefined;
  linearSwitch();
  try {
    // Throws for a pattern the linear engine cannot run, and for any pattern if the switch did
    // not make the `l` flag available.
    new RegExp(source, "l");
  } catch {
    return undefined;
  }
  return new RegExp(source);
}
