import { resetTree, type SyncedTree, syncCache } from "./cache.js";
import { commitStaged, stageAll } from "./commit.js";
import { type TransportEnv, transportEnv } from "./env.js";
import { PushRejectedError } from "./errors.js";
import { git } from "./exec.js";
import { withCacheLock } from "./lock.js";
import { deleteBranch, pushChanges } from "./push.js";
import { branchPushKey, clearPushing, landedUnconfirmed, markPushing } from "./push-record.js";
import { prepareSigning, type SigningSetup } from "./signing.js";
import type { ApplyChanges, AutomationGitOptions } from "./types.js";

const DEFAULT_TIMEOUT_MS = 60_000;

export interface PullRequestBranchResult {
  /**
   * `pushed`: the branch now holds a new commit; `up-to-date`: it already held these changes;
   * `not-needed`: the checkout branch needs no change, and the branch (if it was there) is deleted.
   */
  outcome: "pushed" | "up-to-date" | "not-needed";
  /** The branch's commit (pushed or already there). */
  commit?: string;
  /** `<checkout branch>@sha1:<sha>` of the checkout head the changes were made on. */
  revision: string;
  /**
   * Set when the push's answer was lost (in this run or an earlier one) and the branch was found
   * holding the commit: its message, since this run did not push it.
   */
  landedEarlier?: { message: string };
}

type BranchOptions = AutomationGitOptions & { pushBranch: string };

/**
 * One pull-request branch: rebuilt from the checkout head on every run, so it never drifts from
 * its base, and force-pushed with a lease (someone else's push to it in between is not
 * overwritten: the push fails and the next run starts again). A branch whose tree already holds
 * the changes is left alone, so an unchanged run does not rewrite it.
 *
 * A push whose answer is lost may still have landed. The commit is named in the clone while it is
 * pushed (push-record.ts, one key per branch), so the run or attempt that finds the branch
 * holding it reports it as pushed, once. A refused push is looked at once more for that reason
 * (git re-sends a request whose connection died, and the server then refuses the repeated update):
 * if the branch now holds our commit the run goes on to the request; if not, the refusal stands.
 */
export async function runPullRequestBranch(
  opts: BranchOptions,
  apply: ApplyChanges,
  signal?: AbortSignal,
): Promise<PullRequestBranchResult> {
  return withCacheLock(
    opts.cacheDir,
    async () => {
      const transport = await transportEnv(opts.url, opts.auth, opts.proxy);
      let signing: SigningSetup | undefined;
      try {
        if (opts.signing) signing = await prepareSigning(opts.signing);
        const attempt = (refused?: PushRejectedError) =>
          attemptBranch(opts, apply, { transport, signing, signal, refused });
        try {
          return await attempt();
        } catch (e) {
          if (!(e instanceof PushRejectedError) || !opts.pushKey) throw e;
          return await attempt(e);
        }
      } finally {
        await signing?.cleanup();
        await transport.cleanup();
      }
    },
    { signal },
  );
}

interface AttemptContext {
  transport: TransportEnv;
  signing?: SigningSetup;
  signal?: AbortSignal;
  /** Set on the look after a refused push: only our own landed commit is accepted, nothing is pushed. */
  refused?: PushRejectedError;
}

async function attemptBranch(
  opts: BranchOptions,
  apply: ApplyChanges,
  c: AttemptContext,
): Promise<PullRequestBranchResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const key = opts.pushKey && branchPushKey(opts.pushKey, opts.pushBranch);
  const tree: SyncedTree = await syncCache(opts.cacheDir, {
    url: opts.url,
    checkoutBranch: opts.checkoutBranch,
    pushBranch: opts.pushBranch,
    transport: c.transport,
    timeoutMs,
    signal: c.signal,
    rebuildPushBranch: true,
  });
  const revision = `${opts.checkoutBranch}@sha1:${tree.checkoutHead}`;
  const target = { pushBranch: opts.pushBranch, transport: c.transport, timeoutMs, signal: c.signal };
  try {
    const change = await apply(tree.workTree);
    const files = change ? await stageAll(tree.workTree, c.signal) : [];
    if (!change || files.length === 0) {
      if (c.refused) throw c.refused;
      // The branch goes away: a commit of it still marked as being pushed has nothing to report.
      if (key) await clearPushing(tree.workTree, key);
      if (tree.pushHead) await deleteBranch(tree.workTree, { ...target, lease: tree.pushHead });
      return { outcome: "not-needed", revision };
    }
    if (tree.pushHead && (await sameTree(tree.workTree, tree.pushHead, c.signal))) {
      const landed = key && (await landedUnconfirmed(tree.workTree, key, tree.pushHead));
      if (landed)
        return {
          outcome: "pushed",
          commit: landed.commit,
          revision,
          landedEarlier: { message: landed.message },
        };
      if (c.refused) throw c.refused;
      return { outcome: "up-to-date", commit: tree.pushHead, revision };
    }
    if (c.refused) throw c.refused;
    const commit = await commitStaged(tree.workTree, change.message, opts.author, c.signing, c.signal);
    // Replicas: a run that lost the automation's lease must not push (the fence throws).
    await opts.beforePush?.();
    if (key) await markPushing(tree.workTree, key, commit);
    await pushChanges(tree.workTree, { ...target, pushOptions: opts.pushOptions, lease: tree.pushHead });
    if (key) await clearPushing(tree.workTree, key);
    return { outcome: "pushed", commit, revision };
  } finally {
    await resetTree(tree.workTree, tree.base).catch(() => {});
  }
}

/** Whether the staged tree is the tree of `commit` (the branch already holds these changes). */
async function sameTree(workTree: string, commit: string, signal?: AbortSignal): Promise<boolean> {
  const cwd = { cwd: workTree, op: "commit" as const, signal };
  const staged = (await git(["write-tree"], cwd)).trim();
  const there = (await git(["rev-parse", `${commit}^{tree}`], cwd)).trim();
  return staged === there;
}
