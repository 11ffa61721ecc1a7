import type { TransportEnv } from "./env.js";
import { GitError, PushRejectedError } from "./errors.js";
import { describeFailure, type GitRunResult, gitRaw } from "./exec.js";

export interface PushTarget {
  pushBranch: string;
  refspec?: string;
  pushOptions?: Record<string, string>;
  transport: TransportEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Replace the remote branch only if it is still at this commit:
   * `--force-with-lease`, for a pull-request branch rebuilt on every run.
   */
  lease?: string;
}

// `git push --porcelain` marks refused refs with "!"; these reasons mean "the branch moved, rebuild".
const MOVED = /\[rejected\].*\((fetch first|non-fast-forward|stale info)\)/;
// Two pushes racing inside the server: the loser's ref update finds a different old value.
const LOST_RACE =
  /\[remote rejected\].*\((failed to update ref|failed to lock|incorrect old value provided)\)/;

function classify(r: GitRunResult, secrets: readonly string[]): GitError {
  const refused = r.stdout.split("\n").filter((l) => l.startsWith("!"));
  if (refused.some((l) => MOVED.test(l) || LOST_RACE.test(l))) {
    return new PushRejectedError(
      `push rejected, the remote branch moved: ${refused.join("; ").replaceAll("\t", " ")}`,
    );
  }
  const remoteSays = r.stderr
    .split("\n")
    .filter((l) => l.startsWith("remote:") && l.trim() !== "remote:")
    .join("\n");
  const detail = refused.length
    ? `${refused.join("; ").replaceAll("\t", " ")}${remoteSays ? `; ${remoteSays.replaceAll("\n", "; ")}` : ""}`
    : r.stderr;
  const err = new GitError("push", `git push failed: ${describeFailure(detail, secrets)}`);
  if (
    /Authentication failed|could not read Username|Permission denied \(|returned error: 40[13]/i.test(
      r.stderr,
    )
  ) {
    return new GitError("auth", err.message);
  }
  return err;
}

async function pushRefs(
  refs: string[],
  atomic: boolean,
  t: PushTarget,
  workTree: string,
): Promise<GitRunResult> {
  const options = Object.keys(t.pushOptions ?? {})
    .sort()
    .flatMap((k) => ["--push-option", `${k}=${t.pushOptions?.[k] ?? ""}`]);
  const lease = t.lease === undefined ? [] : [`--force-with-lease=refs/heads/${t.pushBranch}:${t.lease}`];
  return gitRaw(
    ["push", "--porcelain", ...(atomic ? ["--atomic"] : []), ...lease, ...options, "origin", ...refs],
    {
      cwd: workTree,
      op: "push",
      env: t.transport.env,
      config: t.transport.config,
      secrets: t.transport.secrets,
      timeoutMs: t.timeoutMs,
      signal: t.signal,
    },
  );
}

/**
 * Pushes the push branch and, if set, the refspec. Both go in one atomic push so a rejected refspec
 * cannot leave the branch half-updated; servers without atomic support get Flux's two pushes.
 * No force: the local branch always descends from the remote head we fetched, so a refusal means
 * someone else pushed and the caller must rebuild on top of them instead of overwriting them.
 */
export async function pushChanges(workTree: string, t: PushTarget): Promise<void> {
  const branchRef = `refs/heads/${t.pushBranch}:refs/heads/${t.pushBranch}`;
  const secrets = t.transport.secrets;
  if (!t.refspec) {
    const r = await pushRefs([branchRef], false, t, workTree);
    if (r.exitCode !== 0) throw classify(r, secrets);
    return;
  }
  const r = await pushRefs([branchRef, t.refspec], true, t, workTree);
  if (r.exitCode === 0) return;
  if (!/does not support --atomic/i.test(r.stderr)) throw classify(r, secrets);
  for (const refs of [[branchRef], [t.refspec]]) {
    const one = await pushRefs(refs, false, t, workTree);
    if (one.exitCode !== 0) throw classify(one, secrets);
  }
}

/** Deletes the remote branch if it is still at `lease`. */
export async function deleteBranch(workTree: string, t: PushTarget & { lease: string }): Promise<void> {
  const r = await pushRefs([`:refs/heads/${t.pushBranch}`], false, t, workTree);
  if (r.exitCode !== 0) throw classify(r, t.transport.secrets);
}
