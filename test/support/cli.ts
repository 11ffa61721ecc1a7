import { Readable } from "node:stream";
import { memoryIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `imagectl ARGS...` in-process with captured output (same code path as the binary). */
export async function runCli(
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const io = memoryIO({
    stdin: opts.stdin === undefined ? undefined : Readable.from([opts.stdin]),
    env: opts.env,
  });
  const code = await main(["node", "imagectl", ...args], io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}
