import { tmpdir } from "node:os";
import { transportEnv } from "./env.js";
import { git } from "./exec.js";
import type { GitAuth } from "./types.js";

/**
 * The commit a full reference (`refs/heads/main`, `refs/tags/v1`, `HEAD`) points at on the remote,
 * without cloning; null if the remote has no such reference. Throws GitError (scrubbed) when the
 * remote cannot be listed: unreachable, wrong credentials, unknown host key, timeout.
 */
export async function lsRemoteRef(
  url: string,
  ref: string,
  auth?: GitAuth,
  timeoutMs = 60_000,
  proxy?: URL,
): Promise<string | null> {
  const transport = await transportEnv(url, auth, proxy);
  try {
    const out = await git(["ls-remote", url, ref], {
      cwd: tmpdir(),
      op: "fetch",
      env: transport.env,
      config: transport.config,
      secrets: transport.secrets,
      timeoutMs,
    });
    for (const line of out.split("\n")) {
      const [sha, name] = line.split("\t");
      if (sha && name === ref) return sha;
    }
    return null;
  } finally {
    await transport.cleanup();
  }
}

/** The remote head of `branch` without cloning (Flux's "no change since last reconciliation" check); null if absent. */
export function lsRemoteHead(
  url: string,
  branch: string,
  auth?: GitAuth,
  timeoutMs = 60_000,
  proxy?: URL,
): Promise<string | null> {
  return lsRemoteRef(url, `refs/heads/${branch}`, auth, timeoutMs, proxy);
}
