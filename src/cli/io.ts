import type { Readable } from "node:stream";

/** Where a command reads and writes; tests pass their own to run the CLI in-process. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal and colour/symbols may be used. */
  isTTY: boolean;
}

export function processIO(): CliIO {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    // process.stdin is a lazy getter that opens the stream: only touch it when a command reads it
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  };
}

/** An in-memory CliIO for tests: captures stdout/stderr. */
export function memoryIO(opts: { stdin?: Readable; env?: NodeJS.ProcessEnv } = {}): CliIO & {
  stdout: () => string;
  stderr: () => string;
} {
  let o = "";
  let e = "";
  return {
    out: (t) => {
      o += t;
    },
    err: (t) => {
      e += t;
    },
    stdin: opts.stdin ?? (process.stdin as Readable),
    env: opts.env ?? { ...process.env },
    isTTY: false,
    stdout: () => o,
    stderr: () => e,
  };
}

/** What every command gets: its IO and a way to set the exit code without throwing. */
export interface CliContext {
  io: CliIO;
  setExitCode(code: number): void;
}

/** All of stdin as text, without its last line break (`--password-stdin`, `-f -`). */
export async function readStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
