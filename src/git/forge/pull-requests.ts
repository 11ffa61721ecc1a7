import { type ForgeError, forgeFailure } from "./errors.js";

/**
 * Pull/merge requests on a forge (GitHub, GitLab, Gitea) for an automation's branch: found by
 * their head branch, opened, updated in place, closed. One small client per forge behind
 * `ForgePullRequests`; every call has a deadline, and no error carries the token.
 */

export type ForgeProvider = "github" | "gitlab" | "gitea";

export interface ForgeTarget {
  provider: ForgeProvider;
  /** API base URL, e.g. https://api.github.com, https://gitlab.example.com, https://gitea.example.com/api/v1. */
  apiUrl: string;
  /** `owner/name` (GitLab: the project's full path). */
  repository: string;
  token: string;
  /** Per call. */
  timeoutMs: number;
}

export interface PullRequest {
  number: number;
  url: string;
  title: string;
  body: string;
}

export interface PullRequestContent {
  /** Head branch (in the same repository). */
  branch: string;
  /** Target branch. */
  base: string;
  title: string;
  body: string;
  labels: string[];
  reviewers: string[];
}

/** What one forge's client does; the forge files implement it. */
export interface ForgePullRequests {
  /** The open pull request whose head is `branch`, if any. */
  findOpen(branch: string): Promise<PullRequest | undefined>;
  create(content: PullRequestContent): Promise<PullRequest>;
  update(pr: PullRequest, content: Pick<PullRequestContent, "title" | "body">): Promise<void>;
  close(pr: PullRequest): Promise<void>;
}

// One error type and one status reader for every forge call (also `bootstrap github|gitlab`).
export { ForgeError } from "./errors.js";

/** The client for `target.provider`, loaded on first use. */
export async function forgeClient(target: ForgeTarget): Promise<ForgePullRequests> {
  switch (target.provider) {
    case "github":
      return (await import("./pull-requests-github.js")).githubPullRequests(target);
    case "gitlab":
      return (await import("./pull-requests-gitlab.js")).gitlabPullRequests(target);
    case "gitea":
      return (await import("./pull-requests-gitea.js")).giteaPullRequests(target);
  }
}

export type PullRequestAction = "opened" | "updated" | "unchanged" | "closed" | "none";

/** Opens the pull request for `content.branch`, or brings an open one's title and body up to date. */
export async function ensurePullRequest(
  client: ForgePullRequests,
  content: PullRequestContent,
): Promise<{ action: PullRequestAction; pr: PullRequest }> {
  const open = await client.findOpen(content.branch);
  if (!open) return { action: "opened", pr: await client.create(content) };
  if (open.title === content.title && open.body === content.body) return { action: "unchanged", pr: open };
  await client.update(open, content);
  return { action: "updated", pr: { ...open, title: content.title, body: content.body } };
}

/** Closes the open pull request of `branch`, if there is one. */
export async function closePullRequest(
  client: ForgePullRequests,
  branch: string,
): Promise<{ action: PullRequestAction; pr?: PullRequest }> {
  const open = await client.findOpen(branch);
  if (!open) return { action: "none" };
  await client.close(open);
  return { action: "closed", pr: open };
}

/** Wraps a failed call: the forge, the step, the HTTP status or cause; never the token. */
export function forgeError(provider: ForgeProvider, step: string, err: unknown, token?: string): ForgeError {
  return forgeFailure(`${provider}: ${step}`, err, token);
}

/** Runs one forge call as `step`, turning any failure into a ForgeError. */
export function guarded(provider: ForgeProvider, token?: string) {
  return async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw forgeError(provider, step, err, token);
    }
  };
}
