/**
 * Objects: the `objects` table (apiVersion, labels, annotations, spec, generation) and
 * `object_status`, read together with one join. Status has its own table so a status write never
 * rewrites (or races with) the spec.
 *
 * Every write also appends to the change feed, in the caller's transaction.
 */
import * as z from "zod/mini";
import type { ObjectId } from "../../api/object-id.js";
import { matchesLabelSelector } from "../../api/selector.js";
import { type AnyObject, KINDS, type Kind } from "../../api/types.js";
import { jsonEqual } from "../canonical.js";
import { ConflictError, InvalidObjectError, NotFoundError } from "../errors.js";
import { checkJson, checkRow, jsonObject, rowShape, stringMap } from "../row-check.js";
import {
  type ApplyResult,
  type ListOptions,
  RECONCILE_REQUESTED_AT,
  type StatusOfKind,
  type StatusWriteOptions,
  type StoredObject,
} from "../store.js";
import type { ChangeFeed } from "./changes.js";
import type { Db, Params } from "./database.js";

const OBJECT_COLUMNS = `o.id, o.kind, o.namespace, o.name, o.api_version, o.labels, o.annotations, o.spec,
  o.generation, o.created_at, o.resource_version, s.status`;

/** A row as the join returns it; its JSON columns are parsed and checked only when needed. */
export const objectRow = rowShape(() =>
  z.object({
    id: z.int(),
    kind: z.enum(KINDS),
    namespace: z.string(),
    name: z.string(),
    api_version: z.string(),
    labels: z.nullable(z.string()),
    annotations: z.nullable(z.string()),
    spec: z.string(),
    generation: z.int(),
    created_at: z.string(),
    resource_version: z.int(),
    status: z.nullable(z.string()),
  }),
);
export type ObjectRow = z.infer<typeof objectRow.schema>;

export function labelsOf(row: ObjectRow): Record<string, string> | undefined {
  return row.labels === null ? undefined : checkJson(stringMap, row.labels, "objects", row, "labels");
}

export function annotationsOf(row: ObjectRow): Record<string, string> | undefined {
  return row.annotations === null
    ? undefined
    : checkJson(stringMap, row.annotations, "objects", row, "annotations");
}

export function specOf(row: ObjectRow): Record<string, unknown> {
  return checkJson(jsonObject, row.spec, "objects", row, "spec");
}

export function statusOf(row: ObjectRow): Record<string, unknown> | undefined {
  return row.status === null ? undefined : checkJson(jsonObject, row.status, "object_status", row, "status");
}

/** `labels` when the caller has already parsed them (list filters on labels before the rest). */
export function rowToObject<K extends Kind>(row: ObjectRow, labels = labelsOf(row)): StoredObject<K> {
  const annotations = annotationsOf(row);
  const status = statusOf(row);
  const obj = {
    apiVersion: row.api_version,
    kind: row.kind,
    metadata: {
      name: row.name,
      namespace: row.namespace,
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
      generation: row.generation,
      creationTimestamp: row.created_at,
      resourceVersion: row.resource_version,
    },
    spec: specOf(row),
    ...(status !== undefined ? { status } : {}),
  };
  // The store checks the JSON shapes it owns; whether a spec's fields suit its kind is src/api's
  // to say (refusing to read an object that a newer rule rejects would lock its owner out of it).
  return obj as unknown as StoredObject<K>;
}

export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function emptyToUndefined(m: Record<string, string> | undefined): Record<string, string> | undefined {
  return m && Object.keys(m).length > 0 ? m : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The store keys objects by these fields; full validation belongs to src/api. */
export function checkDocument(doc: unknown, index: number): asserts doc is AnyObject {
  const where = `apply: document ${index + 1}`;
  if (!isRecord(doc)) throw new InvalidObjectError(`${where}: not an object`);
  const kind = doc.kind;
  if (typeof kind !== "string" || !(KINDS as readonly string[]).includes(kind)) {
    throw new InvalidObjectError(`${where}: kind must be one of ${KINDS.join(", ")}`);
  }
  if (typeof doc.apiVersion !== "string" || doc.apiVersion === "") {
    throw new InvalidObjectError(`${where} (${kind}): apiVersion is required`);
  }
  const meta = doc.metadata;
  if (!isRecord(meta)) throw new InvalidObjectError(`${where} (${kind}): metadata is required`);
  for (const field of ["name", "namespace"] as const) {
    if (typeof meta[field] !== "string" || meta[field] === "") {
      throw new InvalidObjectError(`${where} (${kind}): metadata.${field} is required`);
    }
  }
  for (const field of ["labels", "annotations"] as const) {
    const m = meta[field];
    if (m !== undefined && (!isRecord(m) || Object.values(m).some((v) => typeof v !== "string"))) {
      throw new InvalidObjectError(`${where} (${kind}): metadata.${field} must map strings to strings`);
    }
  }
  if (!isRecord(doc.spec)) throw new InvalidObjectError(`${where} (${kind}): spec must be an object`);
}

/**
 * What applying `doc` over the stored `existing` changes; undefined when nothing does. Shared by
 * every backend, so "unchanged", the generation rule and the kept reconcile request are one idea.
 */
export function reapply(
  existing: ObjectRow,
  doc: AnyObject,
): { specChanged: boolean; generation: number; annotations: Record<string, string> } | undefined {
  // The reconcile request is set by `reconcile`, not by manifests: re-applying a manifest must not
  // cancel a pending request (kubectl's three-way merge keeps annotations it did not set, too).
  const oldAnnotations = annotationsOf(existing) ?? {};
  const annotations = { ...doc.metadata.annotations };
  const pending = oldAnnotations[RECONCILE_REQUESTED_AT];
  if (pending !== undefined && annotations[RECONCILE_REQUESTED_AT] === undefined) {
    annotations[RECONCILE_REQUESTED_AT] = pending;
  }
  const specChanged = !jsonEqual(specOf(existing), doc.spec);
  const metaChanged =
    existing.api_version !== doc.apiVersion ||
    !jsonEqual(labelsOf(existing) ?? {}, emptyToUndefined(doc.metadata.labels) ?? {}) ||
    !jsonEqual(oldAnnotations, annotations);
  if (!specChanged && !metaChanged) return undefined;
  return {
    specChanged,
    generation: specChanged ? existing.generation + 1 : existing.generation,
    annotations,
  };
}

/** Reads and writes objects; every method runs inside the store's read or write transaction. */
export class ObjectTable {
  private readonly stmt;

  constructor(
    db: Db,
    private readonly changes: ChangeFeed,
    private readonly timestamp: () => string,
  ) {
    const from = "FROM objects o LEFT JOIN object_status s ON s.object_id = o.id";
    this.stmt = {
      byKey: db.prepare<[string, string, string], unknown>(
        `SELECT ${OBJECT_COLUMNS} ${from} WHERE o.kind = ? AND o.namespace = ? AND o.name = ?`,
      ),
      byKind: db.prepare<[string], unknown>(
        `SELECT ${OBJECT_COLUMNS} ${from} WHERE o.kind = ? ORDER BY o.namespace, o.name`,
      ),
      byKindNs: db.prepare<[string, string], unknown>(
        `SELECT ${OBJECT_COLUMNS} ${from} WHERE o.kind = ? AND o.namespace = ? ORDER BY o.name`,
      ),
      insert: db.prepare<Params>(
        `INSERT INTO objects (kind, namespace, name, api_version, labels, annotations, spec, generation,
           created_at, resource_version)
         VALUES (@kind, @namespace, @name, @apiVersion, @labels, @annotations, @spec, @generation,
           @createdAt, @rv)`,
      ),
      update: db.prepare<Params>(
        `UPDATE objects SET api_version = @apiVersion, labels = @labels, annotations = @annotations,
           spec = @spec, generation = @generation, resource_version = @rv WHERE id = @id`,
      ),
      setRv: db.prepare<[number, number]>("UPDATE objects SET resource_version = ? WHERE id = ?"),
      delete: db.prepare<[number]>("DELETE FROM objects WHERE id = ?"),
      upsertStatus: db.prepare<[number, string]>(
        `INSERT INTO object_status (object_id, status) VALUES (?, ?)
         ON CONFLICT (object_id) DO UPDATE SET status = excluded.status`,
      ),
    };
  }

  /** The row of `key`, its columns checked; the JSON in it is checked when read. */
  row(key: ObjectId): ObjectRow | undefined {
    const raw = this.stmt.byKey.get(key.kind, key.namespace, key.name);
    return raw === undefined ? undefined : checkRow(objectRow, raw, "objects");
  }

  mustRow(key: ObjectId): ObjectRow {
    const row = this.row(key);
    if (!row) throw new NotFoundError(key.kind, key.namespace, key.name);
    return row;
  }

  get<K extends Kind>(key: ObjectId<K>): StoredObject<K> | undefined {
    const row = this.row(key);
    return row ? rowToObject<K>(row) : undefined;
  }

  mustGet<K extends Kind>(key: ObjectId<K>): StoredObject<K> {
    return rowToObject<K>(this.mustRow(key));
  }

  list<K extends Kind>(kind: K, opts: ListOptions): StoredObject<K>[] {
    const rows =
      opts.namespace === undefined
        ? this.stmt.byKind.all(kind)
        : this.stmt.byKindNs.all(kind, opts.namespace);
    const out: StoredObject<K>[] = [];
    for (const raw of rows) {
      const row = checkRow(objectRow, raw, "objects");
      // Filter before parsing the spec: labels are small, specs are not.
      const labels = labelsOf(row);
      if (opts.labelSelector && !matchesLabelSelector(opts.labelSelector, labels)) continue;
      out.push(rowToObject<K>(row, labels));
    }
    return out;
  }

  apply(doc: AnyObject): ApplyResult {
    const key: ObjectId = { kind: doc.kind, namespace: doc.metadata.namespace, name: doc.metadata.name };
    const labels = emptyToUndefined(doc.metadata.labels);
    const existing = this.row(key);
    if (!existing) {
      const rv = this.changes.record(key, "created", 1);
      this.stmt.insert.run({
        ...key,
        apiVersion: doc.apiVersion,
        labels: jsonOrNull(labels),
        annotations: jsonOrNull(emptyToUndefined(doc.metadata.annotations)),
        spec: JSON.stringify(doc.spec),
        generation: 1,
        createdAt: this.timestamp(),
        rv,
      });
      return { ...key, action: "created", generation: 1, resourceVersion: rv };
    }

    const next = reapply(existing, doc);
    if (!next) {
      return {
        ...key,
        action: "unchanged",
        generation: existing.generation,
        resourceVersion: existing.resource_version,
      };
    }
    const { specChanged, generation, annotations } = next;
    const rv = this.changes.record(key, specChanged ? "spec" : "metadata", generation);
    this.stmt.update.run({
      id: existing.id,
      apiVersion: doc.apiVersion,
      labels: jsonOrNull(labels),
      annotations: jsonOrNull(emptyToUndefined(annotations)),
      spec: JSON.stringify(doc.spec),
      generation,
      rv,
    });
    return { ...key, action: "configured", generation, resourceVersion: rv };
  }

  delete(key: ObjectId): boolean {
    const row = this.row(key);
    if (!row) return false;
    this.stmt.delete.run(row.id);
    this.changes.record(key, "deleted", 0);
    return true;
  }

  setSuspended<K extends Kind>(key: ObjectId<K>, suspended: boolean): StoredObject<K> {
    const row = this.mustRow(key);
    const spec = specOf(row);
    // An absent `suspend` already means "not suspended" (Go's zero value): resuming is a no-op.
    if ((spec.suspend ?? false) === suspended) return rowToObject<K>(row);
    spec.suspend = suspended;
    const generation = row.generation + 1;
    const rv = this.changes.record(key, "spec", generation);
    this.stmt.update.run({
      id: row.id,
      apiVersion: row.api_version,
      labels: row.labels,
      annotations: row.annotations,
      spec: JSON.stringify(spec),
      generation,
      rv,
    });
    return rowToObject<K>(this.mustRow(key));
  }

  requestReconcile<K extends Kind>(key: ObjectId<K>, at: string): StoredObject<K> {
    const row = this.mustRow(key);
    const annotations = annotationsOf(row) ?? {};
    if (annotations[RECONCILE_REQUESTED_AT] === at) return rowToObject<K>(row);
    annotations[RECONCILE_REQUESTED_AT] = at;
    const rv = this.changes.record(key, "metadata", row.generation);
    this.stmt.update.run({
      id: row.id,
      apiVersion: row.api_version,
      labels: row.labels,
      annotations: JSON.stringify(annotations),
      spec: row.spec,
      generation: row.generation,
      rv,
    });
    return rowToObject<K>(this.mustRow(key));
  }

  updateStatus<K extends Kind>(key: ObjectId<K>, status: StatusOfKind<K>, opts: StatusWriteOptions): number {
    const row = this.mustRow(key);
    const expected = opts.expectedResourceVersion;
    if (expected !== undefined && expected !== row.resource_version) {
      throw new ConflictError(key, expected, row.resource_version);
    }
    const old = statusOf(row);
    if (old !== undefined && jsonEqual(old, status)) return row.resource_version;
    this.stmt.upsertStatus.run(row.id, JSON.stringify(status));
    const rv = this.changes.record(key, "status", row.generation);
    this.stmt.setRv.run(rv, row.id);
    return rv;
  }
}
