// Field-level differences between an object as stored and as a manifest would apply it.
import type { AnyObject } from "../api/types.js";
import { redactAddress } from "../api/webhook-address.js";
import { RECONCILE_REQUESTED_AT } from "../store/store.js";

export interface FieldChange {
  op: "+" | "-" | "~";
  path: string;
  before?: unknown;
  after?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Leaf paths of `value` (objects descended; arrays compared whole, as Kubernetes lists are). */
function walk(path: string, a: unknown, b: unknown, out: FieldChange[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const child = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
        ? `${path}.${key}`
        : `${path}[${JSON.stringify(key)}]`;
      walk(child, a[key], b[key], out);
    }
    return;
  }
  if (a === undefined && b === undefined) return;
  if (a === undefined) out.push({ op: "+", path, after: b });
  else if (b === undefined) out.push({ op: "-", path, before: a });
  else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ op: "~", path, before: a, after: b });
}

/** What `apply` compares: apiVersion, labels, annotations (a kept requestedAt aside) and spec. */
function applied(obj: AnyObject, keepRequestedAt: boolean): Record<string, unknown> {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  if (!keepRequestedAt) delete annotations[RECONCILE_REQUESTED_AT];
  const spec = { ...(obj.spec as unknown as Record<string, unknown>) };
  // A Provider's address may carry its token (chat webhooks); show only that it changed.
  if (obj.kind === "Provider" && typeof spec.address === "string") spec.address = redactAddress(spec.address);
  return {
    apiVersion: obj.apiVersion,
    metadata: { labels: obj.metadata.labels ?? {}, annotations },
    spec,
  };
}

/** The changes applying `desired` over `stored` would make, field by field, sorted by path. */
export function fieldChanges(stored: AnyObject, desired: AnyObject): FieldChange[] {
  const keep = desired.metadata.annotations?.[RECONCILE_REQUESTED_AT] !== undefined;
  const out: FieldChange[] = [];
  walk("", applied(stored, keep), applied(desired, keep), out);
  return out.map((c) => ({ ...c, path: c.path.replace(/^\./, "") }));
}

/** One line of a field change: `~ spec.interval: "5m" -> "1m"`. */
export function fieldLine(c: FieldChange): string {
  const v = (x: unknown) => JSON.stringify(x);
  if (c.op === "+") return `+ ${c.path}: ${v(c.after)}`;
  if (c.op === "-") return `- ${c.path}: ${v(c.before)}`;
  return `~ ${c.path}: ${v(c.before)} -> ${v(c.after)}`;
}
