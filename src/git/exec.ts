import { execa } from "execa";
import { type ConfigEntry, configEnv, type Env, hermeticEnv } from "./env.js";
import { GitError, type GitOp } from "./errors.js";
import { scrub } from "./scrub.js";
import { type GitOperationMessage, reportGitOperation } from "./telemetry.js";

export interface GitRunOptions {
  cwd?: string;
  op: GitOp;
  env?: Env;
  config?: readonly ConfigEntry[];
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  secrets?: readonly string[];
}

export interface GitRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const AUTH_FAILURE =
  /Authentication failed|could not read (Username|Password)|Permission denied \(|Host key verification failed|No [A-Z0-9-]+ host key is known|returned error: 40[13]|HTTP Basic: Access denied/i;

const REMOTE_OPS = new Set<string>(["fetch", "push", "ls-remote", "clone"]);

/** Runs git and returns its result whatever the exit code; throws only for timeouts, aborts and spawn errors. */
export async function gitRaw(args: readonly string[], o: GitRunOptions): Promise<GitRunResult> {
  const sub = args.find((a) => !a.startsWith("-")) ?? "git";
  if (!REMOTE_OPS.has(sub)) return runGit(sub, args, o);
  // Remote operations are what metrics count: a non-zero exit is a failure as much as a throw.
  const operation = sub as GitOperationMessage["operation"];
  const started = performance.now();
  const report = (ok: boolean) =>
    reportGitOperation({ operation, ok, durationMs: performance.now() - started });
  try {
    const r = await runGit(sub, args, o);
    report(r.exitCode === 0);
    return r;
  } catch (err) {
    report(false);
    throw err;
  }
}

async function runGit(sub: string, args: readonly string[], o: GitRunOptions): Promise<GitRunResult> {
  if (o.signal?.aborted) throw new GitError(o.op, `git ${sub} aborted`);
  // Own process group: git fetch/push run helpers (git-remote-http, ssh) that keep the pipes open, so
  // killing only git would leave a timed-out transfer hanging. The whole group is killed instead.
  const child = execa("git", args, {
    cwd: o.cwd,
    env: { ...hermeticEnv(o.env), ...configEnv(o.config ?? []) },
    extendEnv: false,
    input: o.input ?? "",
    detached: true,
    reject: false,
    stripFinalNewline: false,
  });
  let stopped: "timeout" | "abort" | undefined;
  const killGroup = (why: "timeout" | "abort") => {
    stopped = why;
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = o.timeoutMs ? setTimeout(() => killGroup("timeout"), o.timeoutMs) : undefined;
  const onAbort = () => killGroup("abort");
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const r = await child.finally(() => {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
  });
  if (stopped === "timeout") throw new GitError("timeout", `git ${sub} timed out after ${o.timeoutMs} ms`);
  if (stopped === "abort") throw new GitError(o.op, `git ${sub} aborted`);
  if (r.exitCode === undefined) {
    throw new GitError(
      o.op,
      `git ${sub} could not run: ${scrub(r.shortMessage ?? "spawn failed", o.secrets)}`,
    );
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The useful tail of git's stderr, scrubbed: the last lines carry the reason. */
export function describeFailure(stderr: string, secrets: readonly string[] = []): string {
  const lines = scrub(stderr, secrets)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0 && !/^(hint|remote): *$/.test(l));
  return lines.slice(-6).join("; ") || "no error output";
}

/** Turns a failed git run into a GitError (op "auth" when git reports an authentication failure). */
export function toGitError(
  args: readonly string[],
  r: GitRunResult,
  op: GitOp,
  secrets: readonly string[] = [],
): GitError {
  const sub = args.find((a) => !a.startsWith("-")) ?? "git";
  const kind = AUTH_FAILURE.test(r.stderr) ? "auth" : op;
  return new GitError(kind, `git ${sub} failed: ${describeFailure(r.stderr, secrets)}`);
}

/** Runs git; a non-zero exit becomes a GitError. */
export async function git(args: readonly string[], o: GitRunOptions): Promise<string> {
  const r = await gitRaw(args, o);
  if (r.exitCode !== 0) throw toGitError(args, r, o.op, o.secrets);
  return r.stdout;
}
