// GitLab merge requests through @gitbeaker/rest.
import { gitbeakerFor } from "./clients.js";
import { type ForgePullRequests, type ForgeTarget, guarded, type PullRequest } from "./pull-requests.js";

interface MergeRequestFields {
  iid: number;
  web_url: string;
  title: string;
  description?: string | null;
  source_branch: string;
}

export function gitlabPullRequests(t: ForgeTarget): ForgePullRequests {
  const api = gitbeakerFor(t);
  const project = t.repository;
  const call = guarded("gitlab", t.token);
  const toPr = (m: MergeRequestFields): PullRequest => ({
    number: m.iid,
    url: m.web_url,
    title: m.title,
    body: m.description ?? "",
  });
  /** Reviewers are named by username; merge requests take user ids. */
  const reviewerIds = async (names: string[]): Promise<number[]> => {
    const ids: number[] = [];
    for (const username of names) {
      const users = (await call("looking up a reviewer", () =>
        api.Users.all({ username, maxPages: 1, perPage: 1 }),
      )) as unknown as { id: number }[];
      if (users[0]) ids.push(users[0].id);
    }
    return ids;
  };
  return {
    async findOpen(branch) {
      const list = (await call("listing merge requests", () =>
        api.MergeRequests.all({
          projectId: project,
          sourceBranch: branch,
          state: "opened",
          maxPages: 1,
          perPage: 100,
        }),
      )) as unknown as MergeRequestFields[];
      const found = list.find((m) => m.source_branch === branch);
      return found && toPr(found);
    },
    async create(c) {
      const reviewers = c.reviewers.length ? await reviewerIds(c.reviewers) : [];
      const created = (await call("opening a merge request", () =>
        api.MergeRequests.create(project, c.branch, c.base, c.title, {
          description: c.body,
          ...(c.labels.length ? { labels: c.labels } : {}),
          ...(reviewers.length ? { reviewerIds: reviewers } : {}),
        }),
      )) as unknown as MergeRequestFields;
      return toPr(created);
    },
    async update(pr, c) {
      await call("updating the merge request", () =>
        api.MergeRequests.edit(project, pr.number, { title: c.title, description: c.body }),
      );
    },
    async close(pr) {
      await call("closing the merge request", () =>
        api.MergeRequests.edit(project, pr.number, { stateEvent: "close" }),
      );
    },
  };
}
