/**
 * Where each forge's API is and which environment variable holds its token, as the forges publish
 * them: shared by the SDK clients (clients.ts) and the pull-request settings
 * (src/controller/pull-request-config.ts). No SDK import here: the controller loads this module
 * without loading Octokit or Gitbeaker.
 */
import type { ForgeProvider } from "./pull-requests.js";

/** The token variable Flux reads for GitHub and GitLab, and Gitea's by the same rule. */
export const TOKEN_VARIABLE: Record<ForgeProvider, string> = {
  github: "GITHUB_TOKEN",
  gitlab: "GITLAB_TOKEN",
  gitea: "GITEA_TOKEN",
};

/**
 * The API base URL of the forge at `host`: GitHub's `https://api.github.com` (Enterprise:
 * `https://<host>/api/v3`), GitLab's `https://<host>` (its client adds `/api/v4`), Gitea's
 * `https://<host>/api/v1`.
 */
export function defaultApiUrl(provider: ForgeProvider, host: string): string {
  switch (provider) {
    case "github":
      return host === "github.com" ? "https://api.github.com" : `https://${host}/api/v3`;
    case "gitlab":
      return `https://${host}`;
    case "gitea":
      return `https://${host}/api/v1`;
  }
}
