import { Command, CommanderError } from "commander";
import { CommandFailedError, EXIT_FAILED, EXIT_USAGE, UsageError } from "./errors.js";
import { type CliContext, type CliIO, processIO } from "./io.js";
import { registerPolicyTest } from "./policy-test.js";

/**
 * A minimal entry for `imagectl policy test` with the same contract as main.ts's
 * `main`. Why: main.ts eagerly imports every command (store, controller, HTTP client),
 * ~0.4 s of CPU before a tag is read; `policy test` needs none of it. A launcher may
 * route `argv[2..3] = policy test` here; behaviour and output are identical.
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const ctx: CliContext = {
    io,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = new Command("imagectl")
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride();
  registerPolicyTest(program, ctx);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    const usage = err instanceof UsageError;
    if (!usage && !(err instanceof CommandFailedError)) throw err; // unexpected: let the launcher report it
    io.err(`✗ ${err.message}\n`);
    return usage ? EXIT_USAGE : EXIT_FAILED;
  }
}
