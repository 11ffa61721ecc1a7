// Gitea (and Forgejo) pull requests over its REST API with plain fetch: there is no maintained
// Gitea client on npm that this project depends on, and five calls do not need one.
import { type ForgePullRequests, type ForgeTarget, forgeError, type PullRequest } from "./pull-requests.js";

interface GiteaPull {
  number: number;
  html_url: string;
  title: string;
  body?: string | null;
  head?: { ref?: string };
}

/** Reads one JSON answer; anything but an object or array is a failed call. */
async function json(res: Response): Promise<unknown> {
  const body = (await res.json()) as unknown;
  if (body === null || typeof body !== "object") throw new Error("answer is not JSON");
  return body;
}

export function giteaPullRequests(t: ForgeTarget): ForgePullRequests {
  const base = `${t.apiUrl.replace(/\/$/, "")}/repos/${t.repository.split("/").map(encodeURIComponent).join("/")}`;
  const send = async (step: string, method: string, path: string, body?: unknown): Promise<unknown> => {
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `token ${t.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(t.timeoutMs),
        redirect: "error",
      });
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
      return await json(res);
    } catch (err) {
      throw forgeError("gitea", step, err, t.token);
    }
  };
  const toPr = (p: GiteaPull): PullRequest => ({
    number: p.number,
    url: p.html_url,
    title: p.title,
    body: p.body ?? "",
  });
  /** Labels are named in the annotation; Gitea takes label ids. */
  const labelIds = async (names: string[]): Promise<number[]> => {
    const all = (await send("listing labels", "GET", "/labels?limit=50")) as { id: number; name: string }[];
    return names.flatMap((n) => all.filter((l) => l.name === n).map((l) => l.id));
  };
  return {
    async findOpen(branch) {
      const list = (await send("listing pull requests", "GET", "/pulls?state=open&limit=50")) as GiteaPull[];
      const found = list.find((p) => p.head?.ref === branch);
      return found && toPr(found);
    },
    async create(c) {
      const labels = c.labels.length ? await labelIds(c.labels) : [];
      const created = (await send("opening a pull request", "POST", "/pulls", {
        title: c.title,
        head: c.branch,
        base: c.base,
        body: c.body,
        ...(labels.length ? { labels } : {}),
        ...(c.reviewers.length ? { reviewers: c.reviewers } : {}),
      })) as GiteaPull;
      return toPr(created);
    },
    async update(pr, c) {
      await send("updating the pull request", "PATCH", `/pulls/${pr.number}`, {
        title: c.title,
        body: c.body,
      });
    },
    async close(pr) {
      await send("closing the pull request", "PATCH", `/pulls/${pr.number}`, { state: "closed" });
    },
  };
}
