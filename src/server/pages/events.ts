/** `/events`: the timeline of what the reconcilers reported, overall or per object, filterable. */
import { isKind } from "../../api/object-id.js";
import { KINDS, type Kind } from "../../api/types.js";
import type { EventFilter, StoredEvent } from "../../store/index.js";
import type { PageDeps } from "./deps.js";
import { pageNumber, pager, paginate, timeAgo } from "./format.js";
import { type Html, html, query } from "./html.js";
import { type PageContext, page } from "./layout.js";
import { objectLink } from "./overview.js";

const PER_PAGE = 100;
/** Events read for one listing; the store keeps only its newest rows anyway. */
const READ_LIMIT = 2000;

export function eventsHref(kind: Kind, namespace: string, name: string): string {
  return `/events${query({ kind, namespace, name })}`;
}

export function eventTable(events: StoredEvent[], now: number, showObject = true): Html {
  if (events.length === 0) return html`<p class="muted">No events.</p>`;
  return html`<table><thead><tr><th scope="col">When</th><th scope="col">Type</th>${showObject ? html`<th scope="col">Object</th>` : ""}<th scope="col">Reason</th><th scope="col">Message</th></tr></thead><tbody>${events.map(
    (e) =>
      html`<tr><td>${timeAgo(e.lastAt, now)}${e.count > 1 ? html` <span class="muted">(x${e.count} since ${timeAgo(e.firstAt, now)})</span>` : ""}</td><td>${e.type === "Warning" ? html`<span class="badge s-failing">Warning</span>` : html`<span class="badge s-ready">Normal</span>`}</td>${showObject ? html`<td>${e.kind} ${objectLink(e.kind, e.namespace, e.name)}</td>` : ""}<td>${e.reason}</td><td><pre class="msg">${e.message}</pre></td></tr>`,
  )}</tbody></table>`;
}

export async function eventsPage(deps: PageDeps, ctx: PageContext, q: Record<string, string>): Promise<Html> {
  const kind = q.kind && isKind(q.kind) ? q.kind : undefined;
  const type = q.type === "Warning" || q.type === "Normal" ? q.type : undefined;
  const filter: EventFilter = {
    ...(kind && { kind }),
    ...(q.namespace && { namespace: q.namespace }),
    ...(q.name && { name: q.name }),
  };
  const found = (await deps.store.listEvents(filter, READ_LIMIT)).filter((e) => !type || e.type === type);
  const p = paginate(found, pageNumber(q.page), PER_PAGE);
  const params = { kind, type, namespace: q.namespace, name: q.name };
  const option = (value: string, label: string, current: string | undefined) =>
    html`<option value="${value}"${value === (current ?? "") ? html` selected` : ""}>${label}</option>`;
  const title = kind && q.namespace && q.name ? `Events of ${kind} ${q.namespace}/${q.name}` : "Events";
  return page({
    title,
    section: "/events",
    ctx,
    body: html`<form class="filters" method="get" action="/events" aria-label="Filter events">
<label>Kind<select name="kind">${option("", "any", kind)}${KINDS.map((k) => option(k, k, kind))}</select></label>
<label>Namespace<input name="namespace" value="${q.namespace ?? ""}"></label>
<label>Name<input name="name" value="${q.name ?? ""}"></label>
<label>Type<select name="type">${option("", "any", type)}${option("Normal", "Normal", type)}${option("Warning", "Warning", type)}</select></label>
<button type="submit">Filter</button></form>
${eventTable(p.items, ctx.now)}
${pager("/events", p, params)}`,
  });
}
