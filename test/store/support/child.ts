import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WRITER = fileURLToPath(new URL("./writer.ts", import.meta.url));

export interface Writer {
  child: ChildProcess;
  /** Everything the child printed so far. */
  output(): string;
  /** Resolves when the child printed `line`; rejects if it exits first. */
  waitFor(line: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWriter(args: string[]): Writer {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  const waiters: { line: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (out.split("\n").includes(w.line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    check();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`writer exited (${code ?? signal}): ${out}`));
      resolve({ code, signal });
    });
  });
  return {
    child,
    output: () => out,
    exited,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ line, resolve, reject });
        check();
      }),
  };
}

/** Stops a writer still running (test cleanup); a no-op once it exited. */
export async function stopWriter(w: Writer): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) {
    w.child.kill("SIGKILL");
    await w.exited;
  }
}
