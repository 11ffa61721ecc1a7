import { Command } from "commander";
import { reportError } from "./errors.js";
import { addGlobalOptions } from "./globals.js";
import type { CliContext, CliIO } from "./io.js";

/**
 * The root command both entries build on: output through `io`, no process.exit, global options
 * (after `-v, --version` when a version is given, so help lists it first).
 */
export function rootCommand(io: CliIO, opts: { description?: string; version?: string } = {}): Command {
  const program = new Command("imagectl");
  if (opts.description !== undefined) program.description(opts.description);
  if (opts.version !== undefined) program.version(opts.version, "-v, --version");
  program
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride();
  addGlobalOptions(program);
  return program;
}

/** Builds a program with `build` and runs `argv` through it; returns the exit code, never throws for user error. */
export async function runProgram(
  argv: string[],
  io: CliIO,
  build: (ctx: CliContext) => Command,
): Promise<number> {
  let exitCode = 0;
  const ctx: CliContext = {
    io,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  try {
    await build(ctx).parseAsync(argv);
    return exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}
