import { access } from "node:fs/promises";
import { workTreeOf } from "./cache.js";
import { gitRaw } from "./exec.js";

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The patch of `sha` as `git show` prints it, from the cached clone in `cacheDir` (read-only: no
 * lock needed, objects are never rewritten); undefined when there is no clone or no such commit.
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
  const r = await gitRaw(["show", "--format=", "--patch", "--no-color", "--no-ext-diff", sha], {
    cwd: workTree,
    op: "commit",
    timeoutMs,
  });
  return r.exitCode === 0 ? r.stdout : undefined;
}
