import { syncCache } from "./cache.js";
import { transportEnv } from "./env.js";
import { withCacheLock } from "./lock.js";
import type { GitAuth } from "./types.js";

export interface SourceCheckoutOptions {
  /** The GitRepository's cached clone, shared with the automations writing to it (one lock). */
  cacheDir: string;
  url: string;
  branch: string;
  auth?: GitAuth;
  proxy?: URL;
  /** Per network operation. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Brings the cached clone to the head of `branch` and lets `read` look at the work tree while the
 * cache lock is held (so no automation resets it underneath). Returns the head's full SHA and what
 * `read` returned; `read` must not change the tree.
 */
export async function readAtHead<T>(
  o: SourceCheckoutOptions,
  read: (workTree: string, head: string) => Promise<T>,
): Promise<{ head: string; value: T }> {
  return withCacheLock(
    o.cacheDir,
    async () => {
      const transport = await transportEnv(o.url, o.auth, o.proxy);
      try {
        const tree = await syncCache(o.cacheDir, {
          url: o.url,
          checkoutBranch: o.branch,
          pushBranch: o.branch,
          transport,
          timeoutMs: o.timeoutMs,
          signal: o.signal,
        });
        return { head: tree.checkoutHead, value: await read(tree.workTree, tree.checkoutHead) };
      } finally {
        await transport.cleanup();
      }
    },
    { signal: o.signal },
  );
}
