import type { Readable } from "node:stream";

/** Where a command reads and writes; tests pass their own to run the CLI in-process. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal and colour/symbols may be used. */
  isTTY: boolean;
  /**
   * True when stderr is a person's terminal, where a progress line may rewrite itself; false in
   * logs, pipes and CI (which may give a terminal but keeps every byte), and on TERM=dumb.
   */
  liveStderr: boolean;
  /** Width of the stderr terminal; 0 when unknown. */
  columns(): number;
}

function inCI(env: NodeJS.ProcessEnv): boolean {
  return !!env.CI && env.CI !== "false" && env.CI !== "0";
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
    liveStderr: Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb" && !inCI(process.env),
    columns: () => process.stderr.columns ?? 0,
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
    liveStderr: false,
    columns: () => 0,
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
