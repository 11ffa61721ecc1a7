/** `/policies` and `/policies/<ns>/<name>`: the latest ref, when it changed, and why that tag. */
import { imageRefString } from "../../api/image-ref.js";
import { readSelectionOptions } from "../../api/selection-annotations.js";
import type { ImagePolicy } from "../../api/types.js";
import {
  countLines,
  DEFAULT_POLICY_TIMEOUT_MS,
  type Explanation,
  evaluatePolicy,
  explanationOf,
} from "../../policy/index.js";
import type { StoredEvent } from "../../store/index.js";
import type { PageDeps } from "./deps.js";
import { eventsHref, eventTable } from "./events.js";
import { pageNumber, pager, paginate, problemOf, stateBadge, stateOf, timeAgo } from "./format.js";
import { type Html, html, objectPath } from "./html.js";
import { objectActions, type PageContext, page } from "./layout.js";
import { searchForm, searchObjects } from "./repositories.js";
import { type Lane, latestRefChanges, timelineSvg } from "./timeline-svg.js";

const PER_PAGE = 100;
/** Policy events read to find when each latest ref changed (one query for the whole page). */
const CHANGE_EVENTS = 5000;
const TIMELINE_LANES = 25;

function policyWords(spec: ImagePolicy["spec"]): string {
  const p = spec.policy;
  const choice = p.semver
    ? `semver ${p.semver.range}`
    : p.numerical
      ? `numerical, ${p.numerical.order ?? "asc"}`
      : p.alphabetical
        ? `alphabetical, ${p.alphabetical.order ?? "asc"}`
        : "none";
  const f = spec.filterTags;
  return f?.pattern
    ? `${choice}; tags matching ${f.pattern}${f.extract ? `, comparing ${f.extract}` : ""}`
    : choice;
}

function byPolicy(events: StoredEvent[]): Map<string, StoredEvent[]> {
  const m = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const k = `${e.namespace}/${e.name}`;
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  }
  return m;
}

export async function policiesPage(
  deps: PageDeps,
  ctx: PageContext,
  q: Record<string, string>,
): Promise<Html> {
  const search = q.q ?? "";
  const [all, events] = await Promise.all([
    deps.store.list("ImagePolicy"),
    deps.store.listEvents({ kind: "ImagePolicy" }, CHANGE_EVENTS),
  ]);
  const found = searchObjects(all, search, (p) => [
    p.status?.latestRef?.tag ?? "",
    p.status?.latestRef?.name ?? "",
  ]);
  const p = paginate(found, pageNumber(q.page), PER_PAGE);
  const changes = byPolicy(events);
  const lanes: Lane[] = [];
  const rows = p.items.map((pol) => {
    const key = `${pol.metadata.namespace}/${pol.metadata.name}`;
    const points = latestRefChanges(changes.get(key) ?? []);
    if (points.length > 0 && lanes.length < TIMELINE_LANES) lanes.push({ label: key, points });
    const changed = points.at(-1)?.at;
    const s = pol.status;
    const repoNs = pol.spec.imageRepositoryRef.namespace ?? pol.metadata.namespace;
    return html`<tr><td><a href="${objectPath("policies", pol.metadata.namespace, pol.metadata.name)}">${key}</a></td><td>${stateBadge(stateOf(pol))}</td><td class="mono">${s?.latestRef ? imageRefString(s.latestRef) : ""}</td><td class="mono">${s?.observedPreviousRef ? imageRefString(s.observedPreviousRef) : ""}</td><td>${changed === undefined ? "" : timeAgo(new Date(changed).toISOString(), ctx.now)}</td><td><a href="${objectPath("repositories", repoNs, pol.spec.imageRepositoryRef.name)}">${repoNs}/${pol.spec.imageRepositoryRef.name}</a></td><td class="err">${problemOf(pol)}</td><td>${objectActions(ctx, pol, "/policies")}</td></tr>`;
  });
  return page({
    title: "Image policies",
    section: "/policies",
    ctx,
    body: html`${searchForm("/policies", search, "Name or latest tag")}
${found.length === 0 ? html`<p class="muted">No image policies${search ? " match" : ""}.</p>` : html`<table><thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Latest ref</th><th scope="col">Previous ref</th><th scope="col">Changed</th><th scope="col">Repository</th><th scope="col">Problem</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>`}
${pager("/policies", p, { q: search })}
<h2>Latest refs over time</h2>
${timelineSvg(lanes, ctx.now, `Latest ref over time of ${lanes.length} policies on this page`)}`,
  });
}

export function explanationView(x: Explanation, pinned: string | undefined): Html {
  const counts = x.counts
    ? html`<table class="counts"><tbody>${countLines(x.counts).map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`
    : "";
  const verdict = x.latest
    ? html`<p>The policy selects <strong class="mono">${x.latest}</strong>${x.value !== x.latest ? html` (compared value <code>${x.value}</code>)` : ""}${pinned !== undefined && pinned !== x.latest ? html` <span class="err">- the status still shows ${pinned}: the policy has not been reconciled since the tags changed</span>` : ""}.</p>`
    : html`<p class="err">No tag can be selected: ${x.error ?? "unknown reason"}</p>`;
  const candidates =
    x.candidates.length === 0
      ? ""
      : html`<h3>Candidates, best first</h3><table><thead><tr><th scope="col" class="num">Rank</th><th scope="col">Tag</th><th scope="col">Compared value</th></tr></thead><tbody>${x.candidates.map((c, i) => html`<tr><td class="num">${i + 1}</td><td class="mono">${c.tag}</td><td class="mono">${c.value}</td></tr>`)}</tbody></table>`;
  const rejected =
    x.rejected.length === 0
      ? html`<p class="muted">No tag was rejected.</p>`
      : html`<table><thead><tr><th scope="col">Rejected because</th><th scope="col" class="num">Tags</th><th scope="col">For example</th></tr></thead><tbody>${x.rejected.map((g) => html`<tr><td>${g.text}</td><td class="num">${g.count}</td><td class="mono">${g.examples.join(", ")}${g.count > g.examples.length ? ", ..." : ""}</td></tr>`)}</tbody></table>`;
  return html`${verdict}${counts}${candidates}<h3>Rejected tags</h3>${rejected}`;
}

async function explain(deps: PageDeps, pol: ImagePolicy): Promise<Html> {
  const repoNs = pol.spec.imageRepositoryRef.namespace ?? pol.metadata.namespace;
  const stored = await deps.store.getTags(repoNs, pol.spec.imageRepositoryRef.name);
  if (!stored || stored.tags.length === 0)
    return html`<p class="muted">The repository has no tags stored yet: nothing to explain.</p>`;
  const { options } = readSelectionOptions(pol.metadata.annotations);
  const request = {
    policy: pol.spec.policy,
    ...(pol.spec.filterTags && { filterTags: pol.spec.filterTags }),
    ...(options.prereleaseOrder && { extensions: { prereleaseOrder: options.prereleaseOrder } }),
    top: 10,
    limitMs: deps.policyTimeoutMs ?? DEFAULT_POLICY_TIMEOUT_MS,
    explain: { examples: 5 },
  };
  // The repository's exclusion list was applied when the tags were stored, as in the reconciler.
  // In the daemon's worker pool: a slow pattern must not hold the loop that serves every page.
  const result = deps.evaluatePolicy
    ? await deps.evaluatePolicy(request, stored.tags)
    : evaluatePolicy(request, stored.tags);
  const x = explanationOf(result);
  if (!x) {
    const f = result.ok ? undefined : result.failure;
    const why = f?.kind === "invalid-spec" ? `${f.field}: ${f.message}` : (f?.message ?? "no explanation");
    return html`<p class="err">${why}</p>`;
  }
  return html`<p class="muted">Over the ${stored.tags.length} tags stored by the scan of ${stored.scanTime} (the repository's exclusion list already applied), as <code>imagectl policy test</code> explains it.</p>${explanationView(x, pol.status?.latestRef?.tag)}`;
}

export async function policyPage(
  deps: PageDeps,
  ctx: PageContext,
  namespace: string,
  name: string,
): Promise<Html | undefined> {
  const pol = await deps.store.get("ImagePolicy", namespace, name);
  if (!pol) return undefined;
  const events = await deps.store.listEvents({ kind: "ImagePolicy", namespace, name }, 500);
  const points = latestRefChanges(events);
  const s = pol.status;
  const repoNs = pol.spec.imageRepositoryRef.namespace ?? namespace;
  const path = objectPath("policies", namespace, name);
  const changed = points.at(-1)?.at;
  return page({
    title: `Image policy ${namespace}/${name}`,
    section: "/policies",
    ctx,
    body: html`<dl class="facts">
<dt>State</dt><dd>${stateBadge(stateOf(pol))} ${objectActions(ctx, pol, path)}</dd>
<dt>Latest ref</dt><dd class="mono">${s?.latestRef ? imageRefString(s.latestRef) : html`<span class="muted">none yet</span>`}</dd>
<dt>Previous ref</dt><dd class="mono">${s?.observedPreviousRef ? imageRefString(s.observedPreviousRef) : html`<span class="muted">none</span>`}</dd>
<dt>Changed</dt><dd>${changed === undefined ? html`<span class="muted">not recorded</span>` : timeAgo(new Date(changed).toISOString(), ctx.now)}</dd>
<dt>Policy</dt><dd>${policyWords(pol.spec)}</dd>
<dt>Repository</dt><dd><a href="${objectPath("repositories", repoNs, pol.spec.imageRepositoryRef.name)}">${repoNs}/${pol.spec.imageRepositoryRef.name}</a></dd>
<dt>Problem</dt><dd class="err">${problemOf(pol) || html`<span class="muted">none</span>`}</dd>
</dl>
<h2>Why this tag</h2>
${await explain(deps, pol)}
<h2>Latest ref over time</h2>
${timelineSvg([{ label: `${namespace}/${name}`, points }], ctx.now, `Latest ref of ${namespace}/${name} over time`)}
<h2>Recent events</h2>${eventTable(events.slice(0, 20), ctx.now, false)}
<p><a href="${eventsHref("ImagePolicy", namespace, name)}">All events of this policy</a></p>`,
  });
}
