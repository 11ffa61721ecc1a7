import { access } from "node:fs/promises";
import { workTreeOf } from "./cache.js";
import { gitRaw } from "./exec.js";

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The patch of `sha` as `git show` prints it, from the cached clone in `cacheDir` (read-only: no
 * lock needed, objects are never rewritten); undefined when there is no clone, no such commit, or
 * the commit's parent is not in the clone.
 */
export async function commitPatch(
  cacheDir: string,
  sha: string,
  timeoutMs = 5_000,
): Promise<string | undefined> {
  if (!SHA.test(sha)) return undefined;
  const workTree = workTreeOf(cacheDir);
  try {
    await access(workTree);
  } catch {
    return undefined;
  }
  // %P first: the clone is shallow, and a commit at its boundary has lost its parent there, so
  // git would show every file as new. Such a commit has no patch to give.
  const r = await gitRaw(["show", "--format=%P", "--patch", "--no-color", "--no-ext-diff", sha], {
    cwd: workTree,
    op: "commit",
    timeoutMs,
  });
  if (r.exitCode !== 0) return undefined;
  const nl = r.stdout.indexOf("\n");
  if (nl <= 0) return undefined;
  return r.stdout.slice(nl + 1).replace(/^\n/, "");
}
