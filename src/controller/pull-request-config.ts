// The `imagectl.io/pull-request` annotation resolved against the GitRepository (read and checked in src/api).
import type { ImageUpdateAutomation } from "../api/types.js";
import {
  PULL_REQUEST_ANNOTATION,
  type PullRequestConfig,
  readPullRequestAnnotation,
} from "../api/write-back-annotations.js";
import { defaultApiUrl, TOKEN_VARIABLE } from "../git/forge/hosts.js";
import type { ForgeTarget } from "../git/forge/pull-requests.js";
import type { GitAuth } from "../git/index.js";
import { StallError } from "./reconcile-context.js";

export type { PullRequestConfig };

/** The annotation's settings, or undefined when it is absent; a StallError naming the field when bad. */
export function pullRequestConfig(auto: ImageUpdateAutomation): PullRequestConfig | undefined {
  const r = readPullRequestAnnotation(auto.metadata.annotations);
  if (!r.ok) throw new StallError("InvalidPullRequestConfig", r.message);
  return r.value;
}

/** Host and path of an http(s), ssh:// or scp-like Git URL. */
function hostAndPath(url: string): { host: string; path: string } | undefined {
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(url);
  if (scp) return { host: scp[1]!, path: scp[2]! };
  try {
    const u = new URL(url);
    return { host: u.host, path: u.pathname };
  } catch {
    return undefined;
  }
}

/** Where the forge's API is and which repository: from the annotation, else from the Git URL. */
export function forgeTarget(
  cfg: PullRequestConfig,
  gitUrl: string,
  auth: GitAuth | undefined,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): ForgeTarget {
  const at = hostAndPath(gitUrl);
  const repository =
    cfg.repository ??
    at?.path
      .replace(/^\/+/, "")
      .replace(/\.git$/, "")
      .replace(/\/+$/, "");
  if (!repository || (cfg.provider !== "gitlab" && repository.split("/").length !== 2))
    throw new StallError(
      "InvalidPullRequestConfig",
      `annotation ${PULL_REQUEST_ANNOTATION}: repository: give it as owner/name`,
    );
  let apiUrl = cfg.apiURL;
  if (!apiUrl) {
    if (!at)
      throw new StallError(
        "InvalidPullRequestConfig",
        `annotation ${PULL_REQUEST_ANNOTATION}: apiURL: required for this Git URL`,
      );
    apiUrl = defaultApiUrl(cfg.provider, at.host);
  }
  const envName = cfg.tokenEnv ?? TOKEN_VARIABLE[cfg.provider];
  const token = env[envName] || auth?.bearerToken || auth?.password;
  if (!token)
    throw new StallError(
      "PullRequestTokenMissing",
      `no ${cfg.provider} token: set $${envName} for imagectl, or give the GitRepository's secret a password or bearerToken`,
    );
  return { provider: cfg.provider, apiUrl, repository, token, timeoutMs };
}
