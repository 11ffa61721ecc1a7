import { access, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { TransportEnv } from "./env.js";
import { GitError } from "./errors.js";
import { git, gitRaw, toGitError } from "./exec.js";

/** Where the cached clone's work tree lives inside the caller's cacheDir. */
export function workTreeOf(cacheDir: string): string {
  return join(cacheDir, "repo");
}

export interface SyncTarget {
  url: string;
  checkoutBranch: string;
  pushBranch: string;
  transport: TransportEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Start the push branch from the checkout head even when it exists (a pull-request branch). */
  rebuildPushBranch?: boolean;
}

export interface SyncedTree {
  workTree: string;
  /** Remote head of the checkout branch (what Flux reports as the observed source revision). */
  checkoutHead: string;
  /** The commit the work tree was reset to: remote push-branch head if it exists, else checkoutHead. */
  base: string;
  /** Remote head of the push branch, when it exists. */
  pushHead?: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function initRepo(workTree: string, url: string, signal?: AbortSignal): Promise<void> {
  await mkdir(workTree, { recursive: true });
  await git(["init", "-q"], { cwd: workTree, op: "clone", signal });
  await git(["remote", "add", "origin", url], { cwd: workTree, op: "clone", signal });
}

async function ensureRepo(workTree: string, url: string, signal?: AbortSignal): Promise<void> {
  if (!(await exists(join(workTree, ".git")))) return initRepo(workTree, url, signal);
  // The GitRepository url may have changed since the cache was made; follow it.
  const updated = await gitRaw(["remote", "set-url", "origin", url], { cwd: workTree, op: "clone", signal });
  if (updated.exitCode === 0) return;
  // A cache left half-made by a crash: start it again rather than guess what is missing.
  await rm(workTree, { recursive: true, force: true });
  await initRepo(workTree, url, signal);
}

async function remoteHeads(workTree: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const out = await git(["for-each-ref", "--format=%(objectname) %(refname)", "refs/remotes/origin/"], {
    cwd: workTree,
    op: "fetch",
    signal,
  });
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.split(" ");
    if (sha && ref) heads.set(ref.slice("refs/remotes/origin/".length), sha);
  }
  return heads;
}

/**
 * Brings the cached clone to the remote's current state: shallow fetch (clone on first use), then the
 * push branch checked out at its base and every leftover of an earlier run removed.
 */
export async function syncCache(cacheDir: string, t: SyncTarget): Promise<SyncedTree> {
  const workTree = workTreeOf(cacheDir);
  await ensureRepo(workTree, t.url, t.signal);
  // Same branch: fetch only it. Different push branch: all heads, as Flux's GitAllBranchReferences does,
  // because an explicit refspec for a push branch that does not exist yet would fail the fetch.
  const refspecs =
    t.checkoutBranch === t.pushBranch
      ? [`+refs/heads/${t.checkoutBranch}:refs/remotes/origin/${t.checkoutBranch}`]
      : ["+refs/heads/*:refs/remotes/origin/*"];
  const fetchArgs = ["fetch", "-q", "--depth=1", "--no-tags", "--prune", "origin", ...refspecs];
  const fetched = await gitRaw(fetchArgs, {
    cwd: workTree,
    op: "fetch",
    env: t.transport.env,
    config: t.transport.config,
    secrets: t.transport.secrets,
    timeoutMs: t.timeoutMs,
    signal: t.signal,
  });
  if (fetched.exitCode !== 0) {
    if (/couldn't find remote ref/i.test(fetched.stderr)) {
      throw new GitError("checkout", `branch '${t.checkoutBranch}' does not exist in the remote repository`);
    }
    throw toGitError(fetchArgs, fetched, "fetch", t.transport.secrets);
  }
  const heads = await remoteHeads(workTree, t.signal);
  const checkoutHead = heads.get(t.checkoutBranch);
  if (!checkoutHead) {
    throw new GitError("checkout", `branch '${t.checkoutBranch}' does not exist in the remote repository`);
  }
  const pushHead = heads.get(t.pushBranch);
  const base = t.rebuildPushBranch ? checkoutHead : (pushHead ?? checkoutHead);
  await git(["checkout", "-q", "-f", "-B", t.pushBranch, base], {
    cwd: workTree,
    op: "checkout",
    signal: t.signal,
  });
  await git(["clean", "-q", "-ffdx"], { cwd: workTree, op: "checkout", signal: t.signal });
  return { workTree, checkoutHead, base, ...(pushHead ? { pushHead } : {}) };
}

/** Puts the work tree back to `base` after a failed or previewed run, so nothing leaks into the next one. */
export async function resetTree(workTree: string, base: string): Promise<void> {
  await git(["reset", "-q", "--hard", base], { cwd: workTree, op: "checkout" });
  await git(["clean", "-q", "-ffdx"], { cwd: workTree, op: "checkout" });
}
