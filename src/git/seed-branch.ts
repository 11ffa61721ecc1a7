import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitStaged, stageAll } from "./commit.js";
import { transportEnv } from "./env.js";
import { git } from "./exec.js";
import { pushChanges } from "./push.js";
import type { GitAuth } from "./types.js";

export interface SeedBranchOptions {
  url: string;
  branch: string;
  auth?: GitAuth;
  timeoutMs: number;
  author: { name?: string; email: string };
  message: string;
}

/**
 * Creates `branch` on a remote that does not have it (an empty repository, or a new branch) with
 * one root commit of what `write` puts in a fresh work tree; returns the commit's SHA. The push is
 * not forced, so a branch someone created meanwhile is never overwritten (the push is refused).
 */
export async function seedBranch(
  o: SeedBranchOptions,
  write: (workTree: string) => Promise<void>,
): Promise<string> {
  const workTree = await mkdtemp(join(tmpdir(), "imagectl-seed-"));
  const transport = await transportEnv(o.url, o.auth);
  try {
    await git(["init", "-q", `--initial-branch=${o.branch}`], { cwd: workTree, op: "clone" });
    await git(["remote", "add", "origin", o.url], { cwd: workTree, op: "clone" });
    await write(workTree);
    await stageAll(workTree);
    const commit = await commitStaged(workTree, o.message, o.author);
    await pushChanges(workTree, { pushBranch: o.branch, transport, timeoutMs: o.timeoutMs });
    return commit;
  } finally {
    await transport.cleanup();
    await rm(workTree, { recursive: true, force: true });
  }
}
