// The `imagectl.io/pull-request` annotation: read, checked and resolved against the GitRepository.
import * as z from "zod/mini";
import type { ImageUpdateAutomation } from "../api/types.js";
import { PULL_REQUEST_ANNOTATION } from "../api/write-back-annotations.js";
import type { ForgeProvider, ForgeTarget } from "../git/forge/pull-requests.js";
import type { GitAuth } from "../git/index.js";
import { StallError } from "./reconcile-context.js";

const name = z.string().check(z.minLength(1), z.maxLength(256));
const Config = z.strictObject({
  provider: z.enum(["github", "gitlab", "gitea"]),
  repository: z.optional(name),
  apiURL: z.optional(z.url({ protocol: /^https?$/ })),
  per: z.optional(z.enum(["automation", "policy"])),
  branch: z.optional(name),
  title: z.optional(z.string().check(z.maxLength(4096))),
  body: z.optional(z.string().check(z.maxLength(65536))),
  labels: z.optional(z.array(name).check(z.maxLength(20))),
  reviewers: z.optional(z.array(name).check(z.maxLength(20))),
  tokenEnv: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/))),
});
export type PullRequestConfig = z.infer<typeof Config>;

const TOKEN_ENV: Record<ForgeProvider, string> = {
  github: "GITHUB_TOKEN",
  gitlab: "GITLAB_TOKEN",
  gitea: "GITEA_TOKEN",
};

/** The annotation's settings, or undefined when it is absent; a StallError naming the field when bad. */
export function pullRequestConfig(auto: ImageUpdateAutomation): PullRequestConfig | undefined {
  const raw = auto.metadata.annotations?.[PULL_REQUEST_ANNOTATION];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new StallError(
      "InvalidPullRequestConfig",
      `annotation ${PULL_REQUEST_ANNOTATION}: not a JSON object`,
    );
  }
  const r = Config.safeParse(parsed);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = i.path.length ? i.path.join(".") : "(object)";
    throw new StallError(
      "InvalidPullRequestConfig",
      `annotation ${PULL_REQUEST_ANNOTATION}: ${field}: ${i.message}`,
    );
  }
  return r.data;
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
    const host = `https://${at.host}`;
    apiUrl =
      cfg.provider === "github"
        ? at.host === "github.com"
          ? "https://api.github.com"
          : `${host}/api/v3`
        : cfg.provider === "gitlab"
          ? host
          : `${host}/api/v1`;
  }
  const envName = cfg.tokenEnv ?? TOKEN_ENV[cfg.provider];
  const token = env[envName] || auth?.bearerToken || auth?.password;
  if (!token)
    throw new StallError(
      "PullRequestTokenMissing",
      `no ${cfg.provider} token: set $${envName} for imagectl, or give the GitRepository's secret a password or bearerToken`,
    );
  return { provider: cfg.provider, apiUrl, repository, token, timeoutMs };
}
