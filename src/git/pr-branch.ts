import { resetTree, syncCache } from "./cache.js";
import { commitStaged, stageAll } from "./commit.js";
import { transportEnv } from "./env.js";
import { git } from "./exec.js";
import { withCacheLock } from "./lock.js";
import { deleteBranch, pushChanges } from "./push.js";
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
}

/**
 * One pull-request branch: rebuilt from the checkout head on every run, so it never drifts from
 * its base, and force-pushed with a lease (someone else's push to it in between is not
 * overwritten: the push fails and the next run starts again). A branch whose tree already holds
 * the changes is left alone, so an unchanged run does not rewrite it.
 */
export async function runPullRequestBranch(
  opts: AutomationGitOptions & { pushBranch: string },
  apply: ApplyChanges,
  signal?: AbortSignal,
): Promise<PullRequestBranchResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return withCacheLock(
    opts.cacheDir,
    async () => {
      const transport = await transportEnv(opts.url, opts.auth, opts.proxy);
      let signing: SigningSetup | undefined;
      try {
        if (opts.signing) signing = await prepareSigning(opts.signing);
        const tree = await syncCache(opts.cacheDir, {
          url: opts.url,
          checkoutBranch: opts.checkoutBranch,
          pushBranch: opts.pushBranch,
          transport,
          timeoutMs,
          signal,
          rebuildPushBranch: true,
        });
        const revision = `${opts.checkoutBranch}@sha1:${tree.checkoutHead}`;
        const target = { pushBranch: opts.pushBranch, transport, timeoutMs, signal };
        try {
          const change = await apply(tree.workTree);
          const files = change ? await stageAll(tree.workTree, signal) : [];
          if (!change || files.length === 0) {
            if (tree.pushHead) await deleteBranch(tree.workTree, { ...target, lease: tree.pushHead });
            return { outcome: "not-needed", revision };
          }
          if (tree.pushHead) {
            const cwd = { cwd: tree.workTree, op: "commit" as const, signal };
            const staged = (await git(["write-tree"], cwd)).trim();
            const there = (await git(["rev-parse", `${tree.pushHead}^{tree}`], cwd)).trim();
            if (staged === there) return { outcome: "up-to-date", commit: tree.pushHead, revision };
          }
          const commit = await commitStaged(tree.workTree, change.message, opts.author, signing, signal);
          await pushChanges(tree.workTree, {
            ...target,
            pushOptions: opts.pushOptions,
            lease: tree.pushHead,
          });
          return { outcome: "pushed", commit, revision };
        } finally {
          await resetTree(tree.workTree, tree.base).catch(() => {});
        }
      } finally {
        await signing?.cleanup();
        await transport.cleanup();
      }
    },
    { signal },
  );
}
