import { CommanderError } from "commander";
import type { CliIO } from "./io.js";

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

/** Reports a command's failure on stderr and returns the exit code; both entries use it. */
export function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // help and version exit through here with code 0
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    io.err(`✗ ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof CommandFailedError) {
    io.err(`✗ ${err.message}\n`);
    return EXIT_FAILED;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`✗ ${message}\n`);
  if (io.env.IMAGECTL_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
  return EXIT_FAILED;
}
