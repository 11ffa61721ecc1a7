/**
 * The picture: each policy's latest ref over time, as bands on one lane per policy, rendered on
 * the server as inline SVG (no script, no chart library, nothing fetched). Times come from the
 * policy's own events: every new latest ref is recorded as a Normal event when it happens.
 */
import type { StoredEvent } from "../../store/index.js";
import { type Html, html } from "./html.js";

export interface LanePoint {
  /** ms since the epoch when this tag became the latest ref. */
  at: number;
  tag: string;
}

export interface Lane {
  label: string;
  /** Oldest first. */
  points: LanePoint[];
}

const READY = /^Latest image tag for \S+ resolved to (\S+)/;

/** The changes of one policy's latest ref, oldest first, from its events (newest first, as stored). */
export function latestRefChanges(events: readonly StoredEvent[]): LanePoint[] {
  const points: LanePoint[] = [];
  for (const e of events) {
    if (e.kind !== "ImagePolicy" || e.type !== "Normal") continue;
    const m = READY.exec(e.message);
    const at = Date.parse(e.firstAt);
    if (m?.[1] && !Number.isNaN(at)) points.push({ at, tag: m[1] });
  }
  return points.sort((a, b) => a.at - b.at);
}

const WIDTH = 900;
const LABEL_W = 190;
const RIGHT = 16;
const LANE_H = 26;
const TOP = 8;
const AXIS_H = 30;
const FILLS = ["#ddf4ff", "#dafbe1", "#fff8c5", "#fbefff"];

function fmt(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16);
}

function clip(s: string, chars: number): string {
  return s.length <= chars ? s : `${s.slice(0, Math.max(1, chars - 1))}~`;
}

export function timelineSvg(lanes: readonly Lane[], now: number, title: string): Html {
  const shown = lanes.filter((l) => l.points.length > 0);
  if (shown.length === 0) return html`<p class="muted">No latest ref changes recorded yet.</p>`;
  const start = Math.min(...shown.map((l) => (l.points[0] as LanePoint).at));
  const end = Math.max(now, start + 60_000);
  const plotW = WIDTH - LABEL_W - RIGHT;
  const x = (t: number) => LABEL_W + ((t - start) / (end - start)) * plotW;
  const height = TOP + shown.length * LANE_H + AXIS_H;
  const id = `tl-${shown.length}-${Math.round(start / 1000)}`;
  const rows = shown.map((lane, i) => {
    const y = TOP + i * LANE_H;
    const bands = lane.points.map((p, j) => {
      const until = lane.points[j + 1]?.at ?? end;
      const x0 = x(p.at);
      const w = Math.max(2, x(until) - x0);
      const fits = Math.floor((w - 6) / 7);
      return html`<g><title>${lane.label}: ${p.tag} from ${fmt(p.at)} until ${j + 1 < lane.points.length ? fmt(until) : "now"}</title><rect x="${x0.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${LANE_H - 6}" fill="${FILLS[j % FILLS.length]}" stroke="#57606a" stroke-width="0.5"></rect>${fits >= 3 ? html`<text x="${(x0 + 4).toFixed(1)}" y="${y + LANE_H / 2 + 4}" font-size="12" fill="#1b1f24">${clip(p.tag, fits)}</text>` : ""}</g>`;
    });
    return html`<text x="4" y="${y + LANE_H / 2 + 4}" font-size="12" fill="#1b1f24">${clip(lane.label, 26)}</text>${bands}`;
  });
  const axisY = TOP + shown.length * LANE_H + 4;
  return html`<svg class="timeline" role="img" aria-labelledby="${id}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title id="${id}">${title}</title>${rows}<line x1="${LABEL_W}" y1="${axisY}" x2="${WIDTH - RIGHT}" y2="${axisY}" stroke="#57606a"></line><text x="${LABEL_W}" y="${axisY + 16}" font-size="12" fill="#57606a">${fmt(start)}</text><text x="${WIDTH - RIGHT}" y="${axisY + 16}" font-size="12" fill="#57606a" text-anchor="end">now (${fmt(now)})</text></svg>`;
}
