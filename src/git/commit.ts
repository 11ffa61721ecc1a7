import type { Env } from "./env.js";
import { GitError } from "./errors.js";
import { describeFailure, git, gitRaw } from "./exec.js";
import type { SigningSetup } from "./signing.js";

/** Stages every change in the work tree (as Flux does) and lists the staged paths. */
export async function stageAll(workTree: string, signal?: AbortSignal): Promise<string[]> {
  await git(["add", "-A"], { cwd: workTree, op: "commit", signal });
  const out = await git(["diff", "--cached", "--name-only", "-z"], { cwd: workTree, op: "commit", signal });
  return out.split("\0").filter((p) => p.length > 0);
}

/** The staged changes as a unified diff. */
export async function stagedDiff(workTree: string, signal?: AbortSignal): Promise<string> {
  return git(["diff", "--cached", "--no-color", "--no-ext-diff"], { cwd: workTree, op: "commit", signal });
}

// Flux allows an author without a name; git refuses an empty ident, so fall back to a stable one.
const DEFAULT_AUTHOR_NAME = "imagectl";

/** Commits the index; returns the full SHA. */
export async function commitStaged(
  workTree: string,
  message: string,
  author: { name?: string; email: string },
  signing?: SigningSetup,
  signal?: AbortSignal,
): Promise<string> {
  const name = author.name || DEFAULT_AUTHOR_NAME;
  const env: Env = {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: author.email,
    ...(signing?.env ?? {}),
  };
  // verbatim: the message is the rendered template; git must not drop `#` lines or reflow it.
  const args = [
    "commit",
    "-q",
    "--no-verify",
    "--cleanup=verbatim",
    "--file=-",
    ...(signing?.commitArgs ?? []),
  ];
  const r = await gitRaw(args, {
    cwd: workTree,
    op: "commit",
    env,
    config: [["commit.gpgSign", "false"], ...(signing?.config ?? [])],
    input: message,
    signal,
    secrets: signing?.secrets,
  });
  if (r.exitCode !== 0) {
    const signingFailed = signing && /gpg|sign|ssh-keygen/i.test(r.stderr);
    throw new GitError(
      signingFailed ? "sign" : "commit",
      `git commit failed: ${describeFailure(r.stderr, signing?.secrets)}`,
    );
  }
  return (await git(["rev-parse", "HEAD"], { cwd: workTree, op: "commit", signal })).trim();
}
