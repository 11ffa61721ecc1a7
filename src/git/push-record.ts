/**
 * The commit a run is pushing, kept as a ref in the cached clone until the push's outcome is known.
 * A push can land while its answer is lost (a dropped connection, a timeout after the server
 * committed the ref update, the process killed): the run then sees a refusal or an error, and the
 * next attempt or run finds nothing left to change. With this ref, that attempt or run can tell
 * that the remote holds the commit it pushed (an ancestor of the remote head) and report the push
 * instead of "up-to-date" (lastPushCommit, lastPushTime, the push event).
 *
 * One ref per automation (`refs/imagectl/pushing/<key>`), since automations writing to the same
 * GitRepository share the clone (their runs are serialized by the clone's lock). Local git only.
 */
import { createHash } from "node:crypto";
import { git, gitRaw } from "./exec.js";

function refOf(key: string): string {
  return `refs/imagectl/pushing/${key}`;
}

/**
 * The key of one pull-request branch of the automation `key` (`<namespace>/<name>`). Under `_pr/`,
 * which no namespace can be (a DNS label has no `_`), and with the branch as one component (its
 * sha256, so that a long branch name stays within a file name's length): a ref cannot be both a
 * file and a directory, so a direct-push key `<ns>/<name>` and branches such as `imagectl/app`
 * and `imagectl/app/web` must never nest inside one another.
 */
export function branchPushKey(key: string, branch: string): string {
  return `_pr/${key}/${createHash("sha256").update(branch).digest("hex")}`;
}

const cwdOf = (workTree: string) => ({ cwd: workTree, op: "commit" as const });

/** Remembers `commit` as being pushed for `key`, before the push starts. */
export async function markPushing(workTree: string, key: string, commit: string): Promise<void> {
  await git(["update-ref", refOf(key), commit], cwdOf(workTree));
}

/** The push's outcome is known (landed, or reported): forget it. */
export async function clearPushing(workTree: string, key: string): Promise<void> {
  await gitRaw(["update-ref", "-d", refOf(key)], cwdOf(workTree));
}

/**
 * A commit pushed for `key` whose answer was lost and which the remote holds (an ancestor of
 * `remoteHead`), with its message; undefined otherwise. The mark is dropped either way: one that
 * did not land never will.
 */
export async function landedUnconfirmed(
  workTree: string,
  key: string,
  remoteHead: string,
): Promise<{ commit: string; message: string } | undefined> {
  const ref = await gitRaw(["rev-parse", "--verify", "--quiet", `${refOf(key)}^{commit}`], cwdOf(workTree));
  if (ref.exitCode !== 0) return undefined;
  const commit = ref.stdout.trim();
  await clearPushing(workTree, key);
  const held = await gitRaw(["merge-base", "--is-ancestor", commit, remoteHead], cwdOf(workTree));
  if (held.exitCode !== 0) return undefined;
  const message = await git(["show", "-s", "--format=%B", commit], cwdOf(workTree));
  return { commit, message: message.trimEnd() };
}
