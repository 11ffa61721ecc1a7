/** Small pieces every page uses: an object's state at a glance, times, pagination, badges. */
import { parseDuration } from "../../api/duration.js";
import type { Condition } from "../../api/types.js";
import { type Html, html, query } from "./html.js";

/** What a reader wants to know first about an object; worst first, the order pages sort by. */
export const STATES = ["Stalled", "Failing", "Reconciling", "Suspended", "Ready"] as const;
export type State = (typeof STATES)[number];

interface StatusLike {
  spec: { suspend?: boolean };
  status?: { conditions?: Condition[] };
}

export function conditionOf(obj: StatusLike, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

export function stateOf(obj: StatusLike): State {
  if (obj.spec.suspend) return "Suspended";
  if (conditionOf(obj, "Stalled")?.status === "True") return "Stalled";
  const ready = conditionOf(obj, "Ready");
  if (ready?.status === "True") return "Ready";
  if (ready?.status === "False") return "Failing";
  return "Reconciling";
}

/** The message that explains a not-Ready object (its Stalled or Ready condition), else "". */
export function problemOf(obj: StatusLike): string {
  const state = stateOf(obj);
  if (state === "Stalled") return conditionOf(obj, "Stalled")?.message ?? "";
  if (state === "Failing") return conditionOf(obj, "Ready")?.message ?? "";
  return "";
}

export function stateBadge(state: State): Html {
  return html`<span class="badge s-${state.toLowerCase()}">${state}</span>`;
}

/** "3 min ago" / "in 5 min", with the exact time in `datetime` and the tooltip. */
export function timeAgo(iso: string | undefined, now: number): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return html`${iso}`;
  const d = Math.round((at - now) / 1000);
  const abs = Math.abs(d);
  const text =
    abs < 5
      ? "just now"
      : abs < 60
        ? `${abs} s`
        : abs < 3600
          ? `${Math.round(abs / 60)} min`
          : abs < 86400
            ? `${Math.round(abs / 3600)} h`
            : `${Math.round(abs / 86400)} d`;
  const said = abs < 5 ? text : d < 0 ? `${text} ago` : `in ${text}`;
  return html`<time datetime="${iso}" title="${iso}">${said}</time>`;
}

/** `from` + a Flux interval as an ISO time; undefined when either is missing or malformed. */
export function plusInterval(from: string | undefined, interval: string | undefined): string | undefined {
  if (!from || !interval) return undefined;
  try {
    const at = Date.parse(from) + parseDuration(interval);
    return Number.isNaN(at) ? undefined : new Date(at).toISOString();
  } catch {
    return undefined;
  }
}

export interface PageOf<T> {
  items: T[];
  page: number;
  pages: number;
  total: number;
}

/** Page `page` (1-based, clamped) of `items`. */
export function paginate<T>(items: readonly T[], page: number, perPage: number): PageOf<T> {
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const p = Math.min(Math.max(1, Number.isFinite(page) ? Math.floor(page) : 1), pages);
  return { items: items.slice((p - 1) * perPage, p * perPage), page: p, pages, total: items.length };
}

/** Previous / next links keeping the other query parameters. */
export function pager(path: string, p: PageOf<unknown>, params: Record<string, string | undefined>): Html {
  if (p.pages <= 1) return html``;
  const link = (n: number, label: string, rel: string) =>
    html`<a rel="${rel}" href="${path}${query({ ...params, page: n })}">${label}</a>`;
  return html`<nav class="pager" aria-label="Pages">
    ${p.page > 1 ? link(p.page - 1, "Previous page", "prev") : ""}
    <span>Page ${p.page} of ${p.pages} (${p.total})</span>
    ${p.page < p.pages ? link(p.page + 1, "Next page", "next") : ""}
  </nav>`;
}

/** A positive integer from a query value, else `fallback`. */
export function pageNumber(value: unknown, fallback = 1): number {
  const n = typeof value === "string" ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : "";
}
