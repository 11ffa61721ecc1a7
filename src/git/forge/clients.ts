/**
 * Forge API clients, built in one place for every command that talks to GitHub or GitLab
 * (`bootstrap github|gitlab`, pull requests from write-back): the token from the environment
 * variable Flux reads (`GITHUB_TOKEN`, `GITLAB_TOKEN`), the API base URL from the hostname as the
 * forges publish it, and an override of that base URL (`IMAGECTL_GITHUB_API_URL`,
 * `IMAGECTL_GITLAB_API_URL`) for GitHub Enterprise / self-managed set-ups behind another address and
 * for tests against a loopback server. Every request has a deadline.
 */
// Static imports on purpose: this module is itself reached only through `await import()`, and the
// bundler keeps both packages out of the CLI bundle (scripts/bundle.mjs), required on first use.
import { Gitlab } from "@gitbeaker/rest";
import { Octokit } from "@octokit/rest";

export type ForgeKind = "github" | "gitlab";

import { ForgeError } from "./errors.js";
import { defaultApiUrl, TOKEN_VARIABLE } from "./hosts.js";

export { ForgeError, forgeFailure, forgeStatus } from "./errors.js";

export interface ForgeClientOptions {
  /** `github.com` / `gitlab.com` unless given (Flux's `--hostname`). */
  hostname?: string;
  env: NodeJS.ProcessEnv;
  /** Deadline of each API request. Default 30 s. */
  timeoutMs?: number;
}

const URL_OVERRIDE: Record<ForgeKind, string> = {
  github: "IMAGECTL_GITHUB_API_URL",
  gitlab: "IMAGECTL_GITLAB_API_URL",
};
export const DEFAULT_HOSTNAME: Record<ForgeKind, string> = { github: "github.com", gitlab: "gitlab.com" };
const DEFAULT_TIMEOUT_MS = 30_000;

/** The token, as Flux reads it; a missing one is an error naming the variable. */
export function forgeToken(kind: ForgeKind, env: NodeJS.ProcessEnv): string {
  const name = TOKEN_VARIABLE[kind];
  const token = env[name]?.trim();
  if (!token) throw new ForgeError(`${name} is not set: export a personal access token in ${name}`);
  return token;
}

/**
 * The API base URL: the override when set, else GitHub's `https://api.github.com` (Enterprise:
 * `https://<host>/api/v3`) or GitLab's `https://<host>` (the client adds `/api/v4`).
 */
export function forgeApiUrl(kind: ForgeKind, o: Pick<ForgeClientOptions, "hostname" | "env">): string {
  const override = o.env[URL_OVERRIDE[kind]]?.trim();
  if (override) return override.replace(/\/+$/, "");
  return defaultApiUrl(kind, o.hostname || DEFAULT_HOSTNAME[kind]);
}

/** Where and as whom a client calls: every forge client of imagectl is built from this. */
export interface ForgeConnection {
  apiUrl: string;
  token: string;
  timeoutMs: number;
}

/** An Octokit with a deadline on every request and no request logging. */
export function octokitFor(c: ForgeConnection): Octokit {
  return new Octokit({
    auth: c.token,
    baseUrl: c.apiUrl.replace(/\/+$/, ""),
    userAgent: "imagectl",
    // No logging of requests: a URL or header could carry what must not be printed.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    request: {
      fetch: (url: string | URL, init?: RequestInit) =>
        fetch(url, { ...init, signal: AbortSignal.timeout(c.timeoutMs) }),
    },
  });
}

/** A Gitbeaker client with a deadline on every request. */
export function gitbeakerFor(c: ForgeConnection): InstanceType<typeof Gitlab> {
  return new Gitlab({ host: c.apiUrl.replace(/\/+$/, ""), token: c.token, queryTimeout: c.timeoutMs });
}

export function githubClient(o: ForgeClientOptions): Octokit {
  return octokitFor({
    token: forgeToken("github", o.env),
    apiUrl: forgeApiUrl("github", o),
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}

export function gitlabClient(o: ForgeClientOptions): InstanceType<typeof Gitlab> {
  return gitbeakerFor({
    token: forgeToken("gitlab", o.env),
    apiUrl: forgeApiUrl("gitlab", o),
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}
