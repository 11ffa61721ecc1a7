import { Command } from "commander";
import { reportError } from "./errors.js";
import { addGlobalOptions } from "./globals.js";
import { type CliContext, type CliIO, processIO } from "./io.js";
import { registerPolicyTest } from "./policy-test.js";

/**
 * A minimal entry for `imagectl policy test` with the same contract as main.ts's `main`.
 * Why: main.ts builds every command (store, controller, Git, apply...), tens of milliseconds
 * of module loading before a tag is read; `policy test` needs none of it. bin.ts routes
 * `imagectl policy test ...` here; options (global ones included), output and exit codes
 * are those of the full CLI.
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
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride();
  addGlobalOptions(program);
  registerPolicyTest(program, ctx);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}
