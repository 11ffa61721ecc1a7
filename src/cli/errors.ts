/**
 * Exit codes follow the `policy test` contract: 0 ok, 1 valid input but no result
 * (nothing selected, registry unreachable, object not ready), 2 invalid usage.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Invalid flags, patterns, ranges or manifests: exit 2, message names the flag/field. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Input was valid but the command could not produce its result: exit 1. */
export class CommandFailedError extends Error {
  override name = "CommandFailedError";
}
