import { tmpdir } from "node:os";
import { transportEnv } from "./env.js";
import { git } from "./exec.js";
import type { GitAuth } from "./types.js";

/** The remote head of `branch` without cloning (Flux's "no change since last reconciliation" check); null if absent. */
export async function lsRemoteHead(
  url: string,
  branch: string,
  auth?: GitAuth,
  timeoutMs = 60_000,
  proxy?: URL,
): Promise<string | null> {
  const transport = await transportEnv(url, auth, proxy);
  try {
    const ref = `refs/heads/${branch}`;
    const out = await git(["ls-remote", "--heads", url, ref], {
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
