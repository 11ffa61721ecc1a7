import { parseDuration } from "../api/duration.js";
import { UsageError } from "./errors.js";

/** A duration flag (`--timeout`, `--policy-timeout`) in milliseconds; must be positive. */
export function positiveDuration(flag: string, value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new UsageError(`${flag}: invalid duration '${value}' (expected e.g. 500ms, 5s, 1m)`);
  }
  if (!(ms > 0)) throw new UsageError(`${flag}: must be more than 0, got '${value}'`);
  return ms;
}
