/** `/`: counts by kind and state, what is broken first, recent changes, and the daemon's health. */
import { KINDS, type Kind } from "../../api/types.js";
import type { StoredEvent, StoredObject } from "../../store/index.js";
import type { PageDeps } from "./deps.js";
import { pageNumber, pager, paginate, problemOf, STATES, stateBadge, stateOf, timeAgo } from "./format.js";
import { type Html, html, objectPath } from "./html.js";
import { objectActions, type PageContext, page } from "./layout.js";

const SECTION_OF: Partial<Record<Kind, string>> = {
  ImageRepository: "repositories",
  ImagePolicy: "policies",
  ImageUpdateAutomation: "automations",
};
const PER_PAGE = 50;

/** Link to the object's page, or to its events when it has no page of its own. */
export function objectLink(kind: Kind, namespace: string, name: string): Html {
  const section = SECTION_OF[kind];
  const href = section
    ? objectPath(section, namespace, name)
    : `/events?kind=${encodeURIComponent(kind)}&namespace=${encodeURIComponent(namespace)}&name=${encodeURIComponent(name)}`;
  return html`<a href="${href}">${namespace}/${name}</a>`;
}

/** New latest refs and pushes: what the automation did lately. */
export async function recentChanges(deps: PageDeps, limit: number): Promise<StoredEvent[]> {
  const [policies, automations] = await Promise.all([
    deps.store.listEvents({ kind: "ImagePolicy" }, 200),
    deps.store.listEvents({ kind: "ImageUpdateAutomation" }, 200),
  ]);
  return [
    ...policies.filter((e) => e.type === "Normal" && e.message.startsWith("Latest image tag for ")),
    ...automations.filter((e) => e.type === "Normal" && e.message.startsWith("pushed commit ")),
  ]
    .sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : b.id - a.id))
    .slice(0, limit);
}

export function changeList(events: StoredEvent[], now: number): Html {
  if (events.length === 0) return html`<p class="muted">No new latest refs or pushes recorded yet.</p>`;
  return html`<table><thead><tr><th scope="col">When</th><th scope="col">Object</th><th scope="col">What</th></tr></thead><tbody>${events.map(
    (e) =>
      html`<tr><td>${timeAgo(e.lastAt, now)}</td><td>${e.kind === "ImagePolicy" ? "policy" : "automation"} ${objectLink(e.kind, e.namespace, e.name)}</td><td class="change">${firstLine(e.message)}</td></tr>`,
  )}</tbody></table>`;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : `${s.slice(0, i)} \u2026`;
}

export async function overviewPage(
  deps: PageDeps,
  ctx: PageContext,
  q: Record<string, string>,
): Promise<Html> {
  const [lists, changes, readiness] = await Promise.all([
    Promise.all(KINDS.map((k) => deps.store.list(k))),
    recentChanges(deps, 15),
    deps.readiness(),
  ]);
  const all: StoredObject[] = lists.flat();
  const rank = (o: StoredObject) => STATES.indexOf(stateOf(o));
  const sorted = [...all].sort((a, b) => rank(a) - rank(b) || KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  const broken = sorted.filter((o) => ["Stalled", "Failing"].includes(stateOf(o)));
  const listed = paginate(sorted, pageNumber(q.page), PER_PAGE);

  const countRows = KINDS.map((kind, i) => {
    const objs = lists[i] ?? [];
    const by = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<string, number>;
    for (const o of objs) by[stateOf(o)] = (by[stateOf(o)] ?? 0) + 1;
    return html`<tr><th scope="row">${kind}</th>${STATES.map((s) => html`<td class="num">${by[s] || ""}</td>`)}<td class="num">${objs.length}</td></tr>`;
  });

  const health = html`<dl class="facts">
    <dt>Daemon</dt><dd>${readiness.ready ? html`<span class="badge s-ready">Ready</span>` : html`<span class="badge s-failing">Not ready</span> ${readiness.reasons.join("; ")}`}</dd>
    <dt>Queue</dt><dd>${deps.queueDepth()} object(s) due and waiting for a slot</dd>
    <dt>Problems</dt><dd>${broken.length === 0 ? "none" : html`${broken.length} object(s) failing or stalled`}</dd>
  </dl>`;

  const objectRows = listed.items.map(
    (o) =>
      html`<tr><td>${stateBadge(stateOf(o))}</td><td>${o.kind}</td><td>${objectLink(o.kind, o.metadata.namespace, o.metadata.name)}</td><td>${problemOf(o) || readyLine(o)}</td><td>${objectActions(ctx, o, "/")}</td></tr>`,
  );

  return page({
    title: "Overview",
    section: "/",
    ctx,
    body: html`
<section aria-labelledby="h-health"><h2 id="h-health">Health</h2>${health}</section>
<section aria-labelledby="h-counts"><h2 id="h-counts">Objects by kind and state</h2>
<table><thead><tr><th scope="col">Kind</th>${STATES.map((s) => html`<th scope="col" class="num">${s}</th>`)}<th scope="col" class="num">Total</th></tr></thead><tbody>${countRows}</tbody></table></section>
<section aria-labelledby="h-changes"><h2 id="h-changes">Recent changes</h2>${changeList(changes, ctx.now)}</section>
<section aria-labelledby="h-objects"><h2 id="h-objects">Objects, failing and stalled first</h2>
${all.length === 0 ? html`<p class="muted">No objects yet: create them with <code>imagectl create</code> or <code>imagectl apply</code>.</p>` : html`<table><thead><tr><th scope="col">State</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Message</th><th scope="col">Actions</th></tr></thead><tbody>${objectRows}</tbody></table>${pager("/", listed, {})}`}
</section>`,
  });
}

function readyLine(o: StoredObject): string {
  return o.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
}
