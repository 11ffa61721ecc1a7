// GitHub (and GitHub Enterprise Server) pull requests through @octokit/rest.
import { octokitFor } from "./clients.js";
import { type ForgePullRequests, type ForgeTarget, guarded, type PullRequest } from "./pull-requests.js";

export function githubPullRequests(t: ForgeTarget): ForgePullRequests {
  const [owner, repo] = t.repository.split("/") as [string, string];
  const octokit = octokitFor(t);
  const call = guarded("github", t.token);
  const toPr = (p: {
    number: number;
    html_url: string;
    title: string;
    body?: string | null;
  }): PullRequest => ({
    number: p.number,
    url: p.html_url,
    title: p.title,
    body: p.body ?? "",
  });
  return {
    async findOpen(branch) {
      const { data } = await call("listing pull requests", () =>
        octokit.rest.pulls.list({
          owner,
          repo,
          state: "open",
          head: `${owner}:${branch}`,
          per_page: 100,
        }),
      );
      const found = data.find((p) => p.head.ref === branch);
      return found && toPr(found);
    },
    async create(c) {
      const { data } = await call("opening a pull request", () =>
        octokit.rest.pulls.create({
          owner,
          repo,
          title: c.title,
          head: c.branch,
          base: c.base,
          body: c.body,
        }),
      );
      if (c.labels.length)
        await call("labelling the pull request", () =>
          octokit.rest.issues.addLabels({
            owner,
            repo,
            issue_number: data.number,
            labels: c.labels,
          }),
        );
      if (c.reviewers.length)
        await call("requesting reviewers", () =>
          octokit.rest.pulls.requestReviewers({
            owner,
            repo,
            pull_number: data.number,
            reviewers: c.reviewers,
          }),
        );
      return toPr(data);
    },
    async update(pr, c) {
      await call("updating the pull request", () =>
        octokit.rest.pulls.update({
          owner,
          repo,
          pull_number: pr.number,
          title: c.title,
          body: c.body,
        }),
      );
    },
    async close(pr) {
      await call("closing the pull request", () =>
        octokit.rest.pulls.update({
          owner,
          repo,
          pull_number: pr.number,
          state: "closed",
        }),
      );
    },
  };
}
