/**
 * Objects on PostgreSQL: `objects` and `object_status`, read together with one join, as
 * sqlite/objects.ts (whose row shape and row-to-object reading this module shares). Every write
 * runs in the store's transaction, which took the feed lock first (changes.ts), and appends to
 * the change feed.
 */
import type { ObjectId } from "../../api/object-id.js";
import { matchesLabelSelector } from "../../api/selector.js";
import type { AnyObject, Kind } from "../../api/types.js";
import { jsonEqual } from "../canonical.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { checkRow } from "../row-check.js";
import {
  annotationsOf,
  emptyToUndefined,
  jsonOrNull,
  labelsOf,
  type ObjectRow,
  objectRow,
  reapply,
  rowToObject,
  specOf,
  statusOf,
} from "../sqlite/objects.js";
import {
  type ApplyResult,
  type ListOptions,
  RECONCILE_REQUESTED_AT,
  type StatusOfKind,
  type StatusWriteOptions,
  type StoredObject,
} from "../store.js";
import type { ChangeFeed } from "./changes.js";
import type { Sql } from "./database.js";

const SELECT = `SELECT o.id, o.kind, o.namespace, o.name, o.api_version, o.labels, o.annotations, o.spec,
  o.generation, o.created_at, o.resource_version, s.status
  FROM objects o LEFT JOIN object_status s ON s.object_id = o.id`;

export class ObjectTable {
  constructor(
    private readonly changes: ChangeFeed,
    private readonly timestamp: () => string,
  ) {}

  /** The row of `key`, its columns checked; `forUpdate` locks it for the caller's transaction. */
  async row(sql: Sql, key: ObjectId, forUpdate = false): Promise<ObjectRow | undefined> {
    const [raw] = await sql.rows(
      `${SELECT} WHERE o.kind = $1 AND o.namespace = $2 AND o.name = $3${forUpdate ? " FOR UPDATE OF o" : ""}`,
      [key.kind, key.namespace, key.name],
    );
    return raw === undefined ? undefined : checkRow(objectRow, raw, "objects");
  }

  async mustRow(sql: Sql, key: ObjectId, forUpdate = false): Promise<ObjectRow> {
    const row = await this.row(sql, key, forUpdate);
    if (!row) throw new NotFoundError(key.kind, key.namespace, key.name);
    return row;
  }

  async get<K extends Kind>(sql: Sql, key: ObjectId<K>): Promise<StoredObject<K> | undefined> {
    const row = await this.row(sql, key);
    return row ? rowToObject<K>(row) : undefined;
  }

  async mustGet<K extends Kind>(sql: Sql, key: ObjectId<K>): Promise<StoredObject<K>> {
    return rowToObject<K>(await this.mustRow(sql, key));
  }

  async list<K extends Kind>(sql: Sql, kind: K, opts: ListOptions): Promise<StoredObject<K>[]> {
    const rows =
      opts.namespace === undefined
        ? await sql.rows(`${SELECT} WHERE o.kind = $1 ORDER BY o.namespace, o.name`, [kind])
        : await sql.rows(`${SELECT} WHERE o.kind = $1 AND o.namespace = $2 ORDER BY o.name`, [
            kind,
            opts.namespace,
          ]);
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

  async apply(sql: Sql, doc: AnyObject): Promise<ApplyResult> {
    const key: ObjectId = { kind: doc.kind, namespace: doc.metadata.namespace, name: doc.metadata.name };
    const labels = emptyToUndefined(doc.metadata.labels);
    const existing = await this.row(sql, key, true);
    if (!existing) {
      const rv = await this.changes.record(sql, key, "created", 1);
      await sql.rows(
        `INSERT INTO objects (kind, namespace, name, api_version, labels, annotations, spec, generation,
           created_at, resource_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)`,
        [
          key.kind,
          key.namespace,
          key.name,
          doc.apiVersion,
          jsonOrNull(labels),
          jsonOrNull(emptyToUndefined(doc.metadata.annotations)),
          JSON.stringify(doc.spec),
          this.timestamp(),
          rv,
        ],
      );
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
    const rv = await this.changes.record(sql, key, specChanged ? "spec" : "metadata", generation);
    await this.update(sql, existing.id, {
      apiVersion: doc.apiVersion,
      labels: jsonOrNull(labels),
      annotations: jsonOrNull(emptyToUndefined(annotations)),
      spec: JSON.stringify(doc.spec),
      generation,
      rv,
    });
    return { ...key, action: "configured", generation, resourceVersion: rv };
  }

  async delete(sql: Sql, key: ObjectId): Promise<boolean> {
    const row = await this.row(sql, key, true);
    if (!row) return false;
    await sql.rows("DELETE FROM objects WHERE id = $1", [row.id]);
    await this.changes.record(sql, key, "deleted", 0);
    return true;
  }

  async setSuspended<K extends Kind>(
    sql: Sql,
    key: ObjectId<K>,
    suspended: boolean,
  ): Promise<StoredObject<K>> {
    const row = await this.mustRow(sql, key, true);
    const spec = specOf(row);
    // An absent `suspend` already means "not suspended" (Go's zero value): resuming is a no-op.
    if ((spec.suspend ?? false) === suspended) return rowToObject<K>(row);
    spec.suspend = suspended;
    const generation = row.generation + 1;
    const rv = await this.changes.record(sql, key, "spec", generation);
    await this.update(sql, row.id, {
      apiVersion: row.api_version,
      labels: row.labels,
      annotations: row.annotations,
      spec: JSON.stringify(spec),
      generation,
      rv,
    });
    return rowToObject<K>(await this.mustRow(sql, key));
  }

  async requestReconcile<K extends Kind>(sql: Sql, key: ObjectId<K>, at: string): Promise<StoredObject<K>> {
    const row = await this.mustRow(sql, key, true);
    const annotations = annotationsOf(row) ?? {};
    if (annotations[RECONCILE_REQUESTED_AT] === at) return rowToObject<K>(row);
    annotations[RECONCILE_REQUESTED_AT] = at;
    const rv = await this.changes.record(sql, key, "metadata", row.generation);
    await this.update(sql, row.id, {
      apiVersion: row.api_version,
      labels: row.labels,
      annotations: JSON.stringify(annotations),
      spec: row.spec,
      generation: row.generation,
      rv,
    });
    return rowToObject<K>(await this.mustRow(sql, key));
  }

  async updateStatus<K extends Kind>(
    sql: Sql,
    key: ObjectId<K>,
    status: StatusOfKind<K>,
    opts: StatusWriteOptions,
  ): Promise<number> {
    const row = await this.mustRow(sql, key, true);
    const expected = opts.expectedResourceVersion;
    if (expected !== undefined && expected !== row.resource_version) {
      throw new ConflictError(key, expected, row.resource_version);
    }
    const old = statusOf(row);
    if (old !== undefined && jsonEqual(old, status)) return row.resource_version;
    await sql.rows(
      `INSERT INTO object_status (object_id, status) VALUES ($1, $2)
       ON CONFLICT (object_id) DO UPDATE SET status = excluded.status`,
      [row.id, JSON.stringify(status)],
    );
    const rv = await this.changes.record(sql, key, "status", row.generation);
    await sql.rows("UPDATE objects SET resource_version = $1 WHERE id = $2", [rv, row.id]);
    return rv;
  }

  private async update(
    sql: Sql,
    id: number,
    v: {
      apiVersion: string;
      labels: string | null;
      annotations: string | null;
      spec: string;
      generation: number;
      rv: number;
    },
  ): Promise<void> {
    await sql.rows(
      `UPDATE objects SET api_version = $1, labels = $2, annotations = $3, spec = $4, generation = $5,
         resource_version = $6 WHERE id = $7`,
      [v.apiVersion, v.labels, v.annotations, v.spec, v.generation, v.rv, id],
    );
  }
}
