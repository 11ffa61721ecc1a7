import { resetTree, type SyncedTree, syncCache } from "./cache.js";
import { commitStaged, stageAll, stagedDiff } from "./commit.js";
import { type TransportEnv, transportEnv } from "./env.js";
import { GitError, PushRejectedError } from "./errors.js";
import { withCacheLock } from "./lock.js";
import { pushChanges } from "./push.js";
import { clearPushing, landedUnconfirmed, markPushing } from "./push-record.js";
import { prepareSigning, type SigningSetup } from "./signing.js";
import type { ApplyChanges, AutomationGitOptions, AutomationGitResult, AutomationPreview } from "./types.js";

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_ATTEMPTS = 5;

function revision(branch: string, sha: string): string {
  return `${branch}@sha1:${sha}`;
}

function pushBranchOf(opts: AutomationGitOptions): string {
  return opts.pushBranch || opts.checkoutBranch;
}

async function withTransport<T>(opts: AutomationGitOptions, fn: (t: TransportEnv) => Promise<T>): Promise<T> {
  const transport = await transportEnv(opts.url, opts.auth, opts.proxy);
  try {
    return await fn(transport);
  } finally {
    await transport.cleanup();
  }
}

function sync(
  opts: AutomationGitOptions,
  transport: TransportEnv,
  signal?: AbortSignal,
): Promise<SyncedTree> {
  return syncCache(opts.cacheDir, {
    url: opts.url,
    checkoutBranch: opts.checkoutBranch,
    pushBranch: pushBranchOf(opts),
    transport,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal,
  });
}

/**
 * One automation run: sync the cached clone, let `apply` edit the work tree, commit what changed and
 * push it. When the push is refused because the branch moved, the commit is rebuilt from scratch on the
 * new head by running `apply` again (never rebased: that would drop a signature) — at most maxAttempts.
 */
export async function runAutomation(
  opts: AutomationGitOptions,
  apply: ApplyChanges,
  signal?: AbortSignal,
): Promise<AutomationGitResult> {
  const pushBranch = pushBranchOf(opts);
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  return withCacheLock(
    opts.cacheDir,
    () =>
      withTransport(opts, async (transport) => {
        let signing: SigningSetup | undefined;
        try {
          if (opts.signing) signing = await prepareSigning(opts.signing);
          for (let attempt = 1; ; attempt++) {
            const tree = await sync(opts, transport, signal);
            let pushed = false;
            try {
              const change = await apply(tree.workTree);
              const files = change ? await stageAll(tree.workTree, signal) : [];
              const observed = revision(opts.checkoutBranch, tree.checkoutHead);
              if (!change || files.length === 0) {
                const landed =
                  opts.pushKey && (await landedUnconfirmed(tree.workTree, opts.pushKey, tree.base));
                if (landed) {
                  pushed = true; // nothing of this attempt to undo: the tree is clean
                  const late = { message: landed.message };
                  return {
                    pushed,
                    commit: landed.commit,
                    landedEarlier: late,
                    revision: observed,
                    attempts: attempt,
                    filesChanged: [],
                  };
                }
                return { pushed: false, revision: observed, attempts: attempt, filesChanged: [] };
              }
              const commit = await commitStaged(tree.workTree, change.message, opts.author, signing, signal);
              await opts.beforePush?.();
              if (opts.pushKey) await markPushing(tree.workTree, opts.pushKey, commit);
              await pushChanges(tree.workTree, {
                pushBranch,
                refspec: opts.refspec,
                pushOptions: opts.pushOptions,
                transport,
                timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
                signal,
              });
              pushed = true;
              if (opts.pushKey) await clearPushing(tree.workTree, opts.pushKey);
              return {
                pushed: true,
                commit,
                // Flux reports the pushed commit when it landed on the checkout branch itself.
                revision: pushBranch === opts.checkoutBranch ? revision(pushBranch, commit) : observed,
                attempts: attempt,
                filesChanged: files,
              };
            } catch (e) {
              if (!(e instanceof PushRejectedError)) throw e;
              if (attempt >= maxAttempts) {
                throw new GitError("push", `${e.message} (gave up after ${attempt} attempts)`);
              }
            } finally {
              // A run that did not push must leave no commit or edit behind for the next one.
              if (!pushed) await resetTree(tree.workTree, tree.base).catch(() => {});
            }
          }
        } finally {
          await signing?.cleanup();
        }
      }),
    { signal },
  );
}

/** What a run would commit right now: the diff and message. Pushes nothing and leaves the cache clean. */
export async function previewAutomation(
  opts: AutomationGitOptions,
  apply: ApplyChanges,
): Promise<AutomationPreview> {
  return withCacheLock(opts.cacheDir, () =>
    withTransport(opts, async (transport) => {
      const tree = await sync(opts, transport);
      try {
        const change = await apply(tree.workTree);
        const files = change ? await stageAll(tree.workTree) : [];
        const diff = files.length ? await stagedDiff(tree.workTree) : "";
        return {
          diff,
          message: change && files.length ? change.message : null,
          revision: revision(opts.checkoutBranch, tree.checkoutHead),
        };
      } finally {
        await resetTree(tree.workTree, tree.base);
      }
    }),
  );
}
