/**
 * The V8 flags of the linear-time regexp engine, which the policy engine asks for with its first
 * pattern (src/policy/regex/v8-linear.ts). Set here, at the process's edge, because they apply to
 * the whole process and to what V8 accepts from a code cache (see beforeCodeCache in entry.ts).
 */

const FLAGS = [
  "enable-experimental-regexp-engine-on-excessive-backtracks",
  "enable-experimental-regexp-engine",
];
let on = false;

function setFlags(value: boolean): void {
  on = value;
  // node:v8 is loaded with the first pattern (1-2 ms of start-up a command without one never needs).
  const { setFlagsFromString } = process.getBuiltinModule("node:v8");
  for (const flag of FLAGS) setFlagsFromString(`--${value ? "" : "no-"}${flag}`);
}

/** The policy engine's LinearRegexpSwitch. */
export function turnOnLinearRegexpEngine(): void {
  if (!on) setFlags(true);
}

/**
 * Undoes turnOnLinearRegexpEngine (a later pattern turns the flags on again). For the launcher's
 * V8 code cache, written once the command is done: V8 checks a cache against the flags of the
 * process that reads it, which starts with the defaults, so the cache must be made under them.
 */
export function restoreDefaultRegexpFlags(): void {
  if (on) setFlags(false);
}
