/** `/repositories` and `/repositories/<ns>/<name>`: scans, tag counts, errors; a repository's tags. */
import { compareBytes } from "../../policy/index.js";
import type { StoredObject } from "../../store/index.js";
import type { PageDeps } from "./deps.js";
import { eventsHref, eventTable } from "./events.js";
import {
  pageNumber,
  pager,
  paginate,
  plusInterval,
  problemOf,
  STATES,
  stateBadge,
  stateOf,
  timeAgo,
} from "./format.js";
import { type Html, html, objectPath } from "./html.js";
import { objectActions, type PageContext, page } from "./layout.js";

const PER_PAGE = 100;
const TAGS_PER_PAGE = 100;

/** Case-insensitive substring search over the given fields, then worst state first. */
export function searchObjects<T extends StoredObject>(objs: T[], q: string, fields: (o: T) => string[]): T[] {
  const needle = q.trim().toLowerCase();
  const hits = needle
    ? objs.filter((o) =>
        [o.metadata.namespace, o.metadata.name, ...fields(o)].some((f) => f.toLowerCase().includes(needle)),
      )
    : objs;
  const rank = (o: T) => STATES.indexOf(stateOf(o));
  return [...hits].sort((a, b) => rank(a) - rank(b));
}

export function searchForm(path: string, q: string, label: string): Html {
  return html`<form class="filters" method="get" action="${path}" role="search"><label>${label}<input type="search" name="q" value="${q}"></label><button type="submit">Search</button></form>`;
}

export async function repositoriesPage(
  deps: PageDeps,
  ctx: PageContext,
  q: Record<string, string>,
): Promise<Html> {
  const search = q.q ?? "";
  const repos = searchObjects(await deps.store.list("ImageRepository"), search, (r) => [r.spec.image]);
  const p = paginate(repos, pageNumber(q.page), PER_PAGE);
  const rows = p.items.map((r) => {
    const scan = r.status?.lastScanResult;
    const next = r.spec.suspend ? undefined : plusInterval(scan?.scanTime, r.spec.interval);
    return html`<tr><td><a href="${objectPath("repositories", r.metadata.namespace, r.metadata.name)}">${r.metadata.namespace}/${r.metadata.name}</a></td><td class="mono">${r.spec.image}</td><td>${stateBadge(stateOf(r))}</td><td>${timeAgo(scan?.scanTime, ctx.now)}</td><td class="num">${scan?.tagCount ?? ""}</td><td>${r.spec.suspend ? html`<span class="muted">suspended</span>` : timeAgo(next, ctx.now)}</td><td class="err">${problemOf(r)}</td><td>${objectActions(ctx, r, "/repositories")}</td></tr>`;
  });
  return page({
    title: "Image repositories",
    section: "/repositories",
    ctx,
    body: html`${searchForm("/repositories", search, "Name or image")}
${repos.length === 0 ? html`<p class="muted">No image repositories${search ? " match" : ""}.</p>` : html`<table><thead><tr><th scope="col">Name</th><th scope="col">Image</th><th scope="col">State</th><th scope="col">Last scan</th><th scope="col" class="num">Tags</th><th scope="col">Next scan</th><th scope="col">Last error</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>`}
${pager("/repositories", p, { q: search })}`,
  });
}

export async function repositoryPage(
  deps: PageDeps,
  ctx: PageContext,
  namespace: string,
  name: string,
  q: Record<string, string>,
): Promise<Html | undefined> {
  const repo = await deps.store.get("ImageRepository", namespace, name);
  if (!repo) return undefined;
  const [stored, digests, policies, events] = await Promise.all([
    deps.store.getTags(namespace, name),
    deps.store.getDigests(namespace, name),
    deps.store.list("ImagePolicy"),
    deps.store.listEvents({ kind: "ImageRepository", namespace, name }, 20),
  ]);
  const search = (q.q ?? "").trim();
  const tags = (stored?.tags ?? [])
    .filter((t) => !search || t.toLowerCase().includes(search.toLowerCase()))
    .sort((a, b) => compareBytes(b, a));
  const p = paginate(tags, pageNumber(q.page), TAGS_PER_PAGE);
  const path = objectPath("repositories", namespace, name);
  const scan = repo.status?.lastScanResult;
  const users = policies.filter(
    (pol) =>
      (pol.spec.imageRepositoryRef.namespace ?? pol.metadata.namespace) === namespace &&
      pol.spec.imageRepositoryRef.name === name,
  );
  return page({
    title: `Image repository ${namespace}/${name}`,
    section: "/repositories",
    ctx,
    body: html`<dl class="facts">
<dt>State</dt><dd>${stateBadge(stateOf(repo))} ${objectActions(ctx, repo, path)}</dd>
<dt>Image</dt><dd class="mono">${repo.spec.image}</dd>
<dt>Last scan</dt><dd>${timeAgo(scan?.scanTime, ctx.now)}${scan ? html` (${scan.tagCount} tags)` : ""}</dd>
<dt>Next scan</dt><dd>${repo.spec.suspend ? "suspended" : timeAgo(plusInterval(scan?.scanTime, repo.spec.interval), ctx.now)} (every ${repo.spec.interval})</dd>
<dt>Last error</dt><dd class="err">${problemOf(repo) || html`<span class="muted">none</span>`}</dd>
<dt>Policies</dt><dd>${users.length === 0 ? html`<span class="muted">none</span>` : users.map((u, i) => html`${i ? ", " : ""}<a href="${objectPath("policies", u.metadata.namespace, u.metadata.name)}">${u.metadata.namespace}/${u.metadata.name}</a>`)}</dd>
</dl>
<h2 id="h-tags">Tags</h2>
${searchForm(path, search, "Tag contains")}
${p.total === 0 ? html`<p class="muted">No tags${search ? " match" : " stored yet"}.</p>` : html`<table aria-labelledby="h-tags"><thead><tr><th scope="col">Tag</th><th scope="col">Digest</th></tr></thead><tbody>${p.items.map((t) => html`<tr><td class="mono">${t}</td><td class="mono">${digests[t] ?? html`<span class="muted">not reflected</span>`}</td></tr>`)}</tbody></table>`}
${pager(path, p, { q: search })}
<h2>Recent events</h2>${eventTable(events, ctx.now, false)}
<p><a href="${eventsHref("ImageRepository", namespace, name)}">All events of this repository</a></p>`,
  });
}
