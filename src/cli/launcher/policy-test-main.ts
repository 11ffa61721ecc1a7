import { type CliIO, processIO } from "../io.js";
import { registerPolicyTest } from "../policy-test.js";
import { rootCommand, runProgram } from "../program.js";

/**
 * A minimal entry for `imagectl policy test` with the same contract as main.ts's `main`.
 * Why: main.ts builds every command (store, controller, Git, apply...), tens of milliseconds
 * of module loading before a tag is read; `policy test` needs none of it. entry.ts's routeOf
 * (and the launcher) send `imagectl policy test ...` here; options (global ones included),
 * output and exit codes are those of the full CLI.
 */
export function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  return runProgram(argv, io, (ctx) => {
    const program = rootCommand(io);
    registerPolicyTest(program, ctx);
    return program;
  });
}
