// Gitea (and Forgejo) pull requests over its REST API with plain fetch: there is no maintained
// Gitea client on npm that this project depends on, and five calls do not need one.
import { type ForgePullRequests, type ForgeTarget, forgeError, type PullRequest } from "./pull-requests.js";

/** Gitea's default (and usual maximum) page size. */
const PAGE_SIZE = 50;
/** 1,000 open pull requests or labels at most are looked through: each page is a request. */
const MAX_PAGES = 20;

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
  /**
   * The items of a Gitea list, page by page, until `pick` finds one or a page comes back short:
   * Gitea answers at most 50 items a page (its default MAX_RESPONSE_ITEMS), so a repository
   * with more open pull requests or labels than that needs the later pages.
   */
  const findInPages = async <T>(
    step: string,
    path: string,
    pick: (item: T) => boolean,
  ): Promise<T | undefined> => {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const items = (await send(step, "GET", `${path}&limit=${PAGE_SIZE}&page=${page}`)) as T[];
      const found = items.find(pick);
      if (found || items.length < PAGE_SIZE) return found;
    }
    return undefined;
  };
  /** Labels are named in the annotation; Gitea takes label ids. */
  const labelIds = async (names: string[]): Promise<number[]> => {
    const ids: number[] = [];
    for (const n of names) {
      const label = await findInPages<{ id: number; name: string }>(
        "listing labels",
        "/labels?",
        (l) => l.name === n,
      );
      if (label) ids.push(label.id);
    }
    return ids;
  };
  return {
    async findOpen(branch) {
      const found = await findInPages<GiteaPull>(
        "listing pull requests",
        "/pulls?state=open",
        (p) => p.head?.ref === branch,
      );
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
