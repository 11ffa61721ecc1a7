/**
 * The embedded Store: one SQLite file (WAL) shared safely by the CLI and a running daemon.
 *
 * better-sqlite3 is synchronous, so every method does its work before the returned promise
 * settles; writes use IMMEDIATE transactions so two processes queue on the write lock (waiting up
 * to `busy_timeout`) instead of failing with SQLITE_BUSY when a read upgrades to a write.
 */
import Database from "better-sqlite3";
import type { ObjectId } from "../api/object-id.js";
import { type AnyObject, KINDS, type Kind } from "../api/types.js";
import { jsonEqual } from "./canonical.js";
import { ConflictError, InvalidObjectError, NotFoundError, StoreError } from "./errors.js";
import { matchesLabelSelector } from "./labels.js";
import { summarizeSecret } from "./redact.js";
import { prepareDatabaseFile, restrictCompanions } from "./sqlite/file.js";
import { migrate } from "./sqlite/migrate.js";
import { MIGRATIONS, type Migration } from "./sqlite/migrations.js";
import {
  type ApplyResult,
  type Change,
  type ChangeBatch,
  type ChangeType,
  type EventFilter,
  type EventInput,
  type ListOptions,
  RECONCILE_REQUESTED_AT,
  type RunFilter,
  type RunInput,
  type ScanInfo,
  type Secret,
  type SecretInput,
  type SecretSummary,
  type StatusOfKind,
  type StatusWriteOptions,
  type Store,
  type StoredEvent,
  type StoredObject,
  type StoredRun,
  type TagSet,
} from "./store.js";

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock. */
  busyTimeoutMs?: number;
  /** Change-feed rows kept; older ones are pruned and a consumer that far behind must re-list. */
  changeRetention?: number;
  /** Events and runs kept (newest); older rows are pruned. */
  historyRetention?: number;
  /** Only tests pass their own list, to exercise upgrades. */
  migrations?: readonly Migration[];
  now?: () => Date;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const DEFAULT_CHANGE_RETENTION = 100_000;
const DEFAULT_HISTORY_RETENTION = 50_000;
/** Pruning runs on every Nth insert so its cost is spread thin. */
const PRUNE_EVERY = 512;
const PRUNED_THROUGH_KEY = "changes_pruned_through";

interface ObjectRow {
  id: number;
  kind: Kind;
  namespace: string;
  name: string;
  api_version: string;
  labels: string | null;
  annotations: string | null;
  spec: string;
  generation: number;
  created_at: string;
  resource_version: number;
  status: string | null;
}

interface EventRow {
  id: number;
  kind: Kind;
  namespace: string;
  name: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  first_at: string;
  last_at: string;
  count: number;
}

interface RunRow {
  id: number;
  namespace: string;
  name: string;
  started_at: string;
  finished_at: string;
  outcome: RunInput["outcome"];
  commit_sha: string | null;
  branch: string | null;
  message: string | null;
  changes: string;
  error: string | null;
}

interface SecretRow {
  namespace: string;
  name: string;
  type: string;
  data: string;
  created_at: string;
  updated_at: string;
}

type Params = Record<string, string | number | null>;

const OBJECT_COLUMNS = `o.id, o.kind, o.namespace, o.name, o.api_version, o.labels, o.annotations, o.spec,
  o.generation, o.created_at, o.resource_version, s.status`;

/** Kubernetes timestamps are RFC 3339 with second precision. */
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function describe(key: ObjectId): string {
  return `${key.kind} '${key.namespace}/${key.name}'`;
}

function rowToObject<K extends Kind>(row: ObjectRow): StoredObject<K> {
  const labels = parseJson<Record<string, string>>(row.labels);
  const annotations = parseJson<Record<string, string>>(row.annotations);
  const status = parseJson<unknown>(row.status);
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
    spec: JSON.parse(row.spec) as unknown,
    ...(status !== undefined ? { status } : {}),
  };
  return obj as StoredObject<K>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The store keys objects by these fields; full validation belongs to src/api. */
function checkDocument(doc: unknown, index: number): asserts doc is AnyObject {
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

function emptyToUndefined(m: Record<string, string> | undefined): Record<string, string> | undefined {
  return m && Object.keys(m).length > 0 ? m : undefined;
}

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly changeRetention: number;
  private readonly historyRetention: number;
  private readonly stmt;

  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.file = file;
    this.now = opts.now ?? (() => new Date());
    this.changeRetention = opts.changeRetention ?? DEFAULT_CHANGE_RETENTION;
    this.historyRetention = opts.historyRetention ?? DEFAULT_HISTORY_RETENTION;
    prepareDatabaseFile(file);
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    } catch (err) {
      throw new StoreError(`open state database ${file}: ${(err as Error).message}`, { cause: err });
    }
    this.db = db;
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      migrate(db, opts.migrations ?? MIGRATIONS);
      restrictCompanions(file);
      this.stmt = this.prepare();
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(`open state database ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  private prepare() {
    const db = this.db;
    return {
      objectByKey: db.prepare<[string, string, string], ObjectRow>(
        `SELECT ${OBJECT_COLUMNS} FROM objects o LEFT JOIN object_status s ON s.object_id = o.id
         WHERE o.kind = ? AND o.namespace = ? AND o.name = ?`,
      ),
      objectsByKind: db.prepare<[string], ObjectRow>(
        `SELECT ${OBJECT_COLUMNS} FROM objects o LEFT JOIN object_status s ON s.object_id = o.id
         WHERE o.kind = ? ORDER BY o.namespace, o.name`,
      ),
      objectsByKindNs: db.prepare<[string, string], ObjectRow>(
        `SELECT ${OBJECT_COLUMNS} FROM objects o LEFT JOIN object_status s ON s.object_id = o.id
         WHERE o.kind = ? AND o.namespace = ? ORDER BY o.name`,
      ),
      insertObject: db.prepare<Params>(
        `INSERT INTO objects (kind, namespace, name, api_version, labels, annotations, spec, generation,
           created_at, resource_version)
         VALUES (@kind, @namespace, @name, @apiVersion, @labels, @annotations, @spec, @generation,
           @createdAt, @rv)`,
      ),
      updateObject: db.prepare<Params>(
        `UPDATE objects SET api_version = @apiVersion, labels = @labels, annotations = @annotations,
           spec = @spec, generation = @generation, resource_version = @rv WHERE id = @id`,
      ),
      setObjectRv: db.prepare<[number, number]>("UPDATE objects SET resource_version = ? WHERE id = ?"),
      deleteObject: db.prepare<[number]>("DELETE FROM objects WHERE id = ?"),
      upsertStatus: db.prepare<[number, string]>(
        `INSERT INTO object_status (object_id, status) VALUES (?, ?)
         ON CONFLICT (object_id) DO UPDATE SET status = excluded.status`,
      ),
      insertChange: db.prepare<[string, string, string, string, number]>(
        "INSERT INTO changes (kind, namespace, name, type, generation) VALUES (?, ?, ?, ?, ?)",
      ),
      changesAfter: db.prepare<[number, number], Omit<Change, "deleted">>(
        `SELECT resource_version AS resourceVersion, kind, namespace, name, type, generation
         FROM changes WHERE resource_version > ? ORDER BY resource_version LIMIT ?`,
      ),
      maxChange: db.prepare<[], number | null>("SELECT max(resource_version) FROM changes").pluck(),
      pruneChanges: db.prepare<[number]>("DELETE FROM changes WHERE resource_version <= ?"),
      getMeta: db.prepare<[string], string>("SELECT value FROM store_meta WHERE key = ?").pluck(),
      setMeta: db.prepare<[string, string]>(
        "INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      upsertTags: db.prepare<Params>(
        `INSERT INTO repository_tags (object_id, tags, tag_count, revision, scan_time)
         VALUES (@id, @tags, @count, @revision, @scanTime)
         ON CONFLICT (object_id) DO UPDATE SET tags = excluded.tags, tag_count = excluded.tag_count,
           revision = excluded.revision, scan_time = excluded.scan_time`,
      ),
      dropVanishedDigests: db.prepare<[number, string]>(
        `DELETE FROM repository_digests WHERE object_id = ?
           AND tag NOT IN (SELECT value FROM json_each(?))`,
      ),
      tagsOf: db.prepare<[number], { tags: string; revision: string; scan_time: string }>(
        "SELECT tags, revision, scan_time FROM repository_tags WHERE object_id = ?",
      ),
      upsertDigest: db.prepare<[number, string, string]>(
        `INSERT INTO repository_digests (object_id, tag, digest) VALUES (?, ?, ?)
         ON CONFLICT (object_id, tag) DO UPDATE SET digest = excluded.digest`,
      ),
      digestsOf: db.prepare<[number], { tag: string; digest: string }>(
        "SELECT tag, digest FROM repository_digests WHERE object_id = ? ORDER BY tag",
      ),
      upsertSecret: db.prepare<Params>(
        `INSERT INTO secrets (namespace, name, type, data, created_at, updated_at)
         VALUES (@namespace, @name, @type, @data, @at, @at)
         ON CONFLICT (namespace, name) DO UPDATE SET type = excluded.type, data = excluded.data,
           updated_at = excluded.updated_at`,
      ),
      secretByKey: db.prepare<[string, string], SecretRow>(
        "SELECT * FROM secrets WHERE namespace = ? AND name = ?",
      ),
      allSecrets: db.prepare<[], SecretRow>("SELECT * FROM secrets ORDER BY namespace, name"),
      secretsInNs: db.prepare<[string], SecretRow>("SELECT * FROM secrets WHERE namespace = ? ORDER BY name"),
      deleteSecret: db.prepare<[string, string]>("DELETE FROM secrets WHERE namespace = ? AND name = ?"),
      lastEventOf: db.prepare<[string, string, string], EventRow>(
        `SELECT * FROM events WHERE kind = ? AND namespace = ? AND name = ? ORDER BY id DESC LIMIT 1`,
      ),
      bumpEvent: db.prepare<[string, number]>(
        "UPDATE events SET count = count + 1, last_at = ? WHERE id = ?",
      ),
      insertEvent: db.prepare<Params>(
        `INSERT INTO events (kind, namespace, name, type, reason, message, first_at, last_at, count)
         VALUES (@kind, @namespace, @name, @type, @reason, @message, @at, @at, 1)`,
      ),
      pruneEvents: db.prepare<[number]>("DELETE FROM events WHERE id <= ?"),
      insertRun: db.prepare<Params>(
        `INSERT INTO runs (namespace, name, started_at, finished_at, outcome, commit_sha, branch, message,
           changes, error)
         VALUES (@namespace, @name, @startedAt, @finishedAt, @outcome, @commit, @branch, @message,
           @changes, @error)`,
      ),
      pruneRuns: db.prepare<[number]>("DELETE FROM runs WHERE id <= ?"),
    };
  }

  // ---------------------------------------------------------------- plumbing

  private ensureOpen(op: string): void {
    if (!this.db.open) throw new StoreError(`${op}: the store is closed`);
  }

  /** Runs `fn` in one IMMEDIATE transaction; driver errors become StoreErrors naming `op`. */
  private write<T>(op: string, fn: () => T): T {
    this.ensureOpen(op);
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`${op}: ${(err as Error).message}`, { cause: err });
    }
  }

  private read<T>(op: string, fn: () => T): T {
    this.ensureOpen(op);
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`${op}: ${(err as Error).message}`, { cause: err });
    }
  }

  private row(key: ObjectId): ObjectRow | undefined {
    return this.stmt.objectByKey.get(key.kind, key.namespace, key.name);
  }

  private mustRow(key: ObjectId): ObjectRow {
    const row = this.row(key);
    if (!row) throw new NotFoundError(key.kind, key.namespace, key.name);
    return row;
  }

  /** Appends to the change feed; the new row's key is the new resourceVersion. */
  private recordChange(key: ObjectId, type: ChangeType, generation: number): number {
    const rv = Number(
      this.stmt.insertChange.run(key.kind, key.namespace, key.name, type, generation).lastInsertRowid,
    );
    if (rv % PRUNE_EVERY === 0 && rv > this.changeRetention) {
      const through = rv - this.changeRetention;
      this.stmt.pruneChanges.run(through);
      this.stmt.setMeta.run(PRUNED_THROUGH_KEY, String(through));
    }
    return rv;
  }

  private prunedThrough(): number {
    return Number(this.stmt.getMeta.get(PRUNED_THROUGH_KEY) ?? 0);
  }

  private timestamp(): string {
    return timestamp(this.now());
  }

  // ---------------------------------------------------------------- objects

  async get<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K> | undefined> {
    return this.read(`get ${kind}`, () => {
      const row = this.row({ kind, namespace, name });
      return row ? rowToObject<K>(row) : undefined;
    });
  }

  async mustGet<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K>> {
    return this.read(`get ${kind}`, () => rowToObject<K>(this.mustRow({ kind, namespace, name })));
  }

  async list<K extends Kind>(kind: K, opts: ListOptions = {}): Promise<StoredObject<K>[]> {
    return this.read(`list ${kind}`, () => {
      const rows =
        opts.namespace === undefined
          ? this.stmt.objectsByKind.all(kind)
          : this.stmt.objectsByKindNs.all(kind, opts.namespace);
      const out: StoredObject<K>[] = [];
      for (const row of rows) {
        // Filter before parsing the spec: labels are small, specs are not.
        if (opts.labelSelector && !matchesLabelSelector(parseJson(row.labels), opts.labelSelector)) continue;
        out.push(rowToObject<K>(row));
      }
      return out;
    });
  }

  async apply(objects: AnyObject[]): Promise<ApplyResult[]> {
    objects.forEach((doc, i) => {
      checkDocument(doc, i);
    });
    return this.write("apply", () => objects.map((doc) => this.applyOne(doc)));
  }

  private applyOne(doc: AnyObject): ApplyResult {
    const key: ObjectId = { kind: doc.kind, namespace: doc.metadata.namespace, name: doc.metadata.name };
    const labels = emptyToUndefined(doc.metadata.labels);
    const existing = this.row(key);
    if (!existing) {
      const rv = this.recordChange(key, "created", 1);
      this.stmt.insertObject.run({
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

    // The reconcile request is set by `reconcile`, not by manifests: re-applying a manifest must not
    // cancel a pending request (kubectl's three-way merge keeps annotations it did not set, too).
    const oldAnnotations = parseJson<Record<string, string>>(existing.annotations) ?? {};
    const annotations = { ...doc.metadata.annotations };
    const pending = oldAnnotations[RECONCILE_REQUESTED_AT];
    if (pending !== undefined && annotations[RECONCILE_REQUESTED_AT] === undefined) {
      annotations[RECONCILE_REQUESTED_AT] = pending;
    }
    const specChanged = !jsonEqual(JSON.parse(existing.spec), doc.spec);
    const metaChanged =
      existing.api_version !== doc.apiVersion ||
      !jsonEqual(parseJson(existing.labels) ?? {}, labels ?? {}) ||
      !jsonEqual(oldAnnotations, annotations);
    if (!specChanged && !metaChanged) {
      return {
        ...key,
        action: "unchanged",
        generation: existing.generation,
        resourceVersion: existing.resource_version,
      };
    }
    const generation = specChanged ? existing.generation + 1 : existing.generation;
    const rv = this.recordChange(key, specChanged ? "spec" : "metadata", generation);
    this.stmt.updateObject.run({
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

  async delete(kind: Kind, namespace: string, name: string): Promise<boolean> {
    const key = { kind, namespace, name };
    return this.write(`delete ${describe(key)}`, () => {
      const row = this.row(key);
      if (!row) return false;
      this.stmt.deleteObject.run(row.id);
      this.recordChange(key, "deleted", 0);
      return true;
    });
  }

  async setSuspended<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    suspended: boolean,
  ): Promise<StoredObject<K>> {
    const key = { kind, namespace, name };
    return this.write(`${suspended ? "suspend" : "resume"} ${describe(key)}`, () => {
      const row = this.mustRow(key);
      const spec = JSON.parse(row.spec) as { suspend?: boolean };
      // An absent `suspend` already means "not suspended" (Go's zero value): resuming is a no-op.
      if ((spec.suspend ?? false) === suspended) return rowToObject<K>(row);
      spec.suspend = suspended;
      const generation = row.generation + 1;
      const rv = this.recordChange(key, "spec", generation);
      this.stmt.updateObject.run({
        id: row.id,
        apiVersion: row.api_version,
        labels: row.labels,
        annotations: row.annotations,
        spec: JSON.stringify(spec),
        generation,
        rv,
      });
      return rowToObject<K>(this.mustRow(key));
    });
  }

  async requestReconcile<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    at: string,
  ): Promise<StoredObject<K>> {
    const key = { kind, namespace, name };
    return this.write(`reconcile ${describe(key)}`, () => {
      const row = this.mustRow(key);
      const annotations = parseJson<Record<string, string>>(row.annotations) ?? {};
      if (annotations[RECONCILE_REQUESTED_AT] === at) return rowToObject<K>(row);
      annotations[RECONCILE_REQUESTED_AT] = at;
      const rv = this.recordChange(key, "metadata", row.generation);
      this.stmt.updateObject.run({
        id: row.id,
        apiVersion: row.api_version,
        labels: row.labels,
        annotations: JSON.stringify(annotations),
        spec: row.spec,
        generation: row.generation,
        rv,
      });
      return rowToObject<K>(this.mustRow(key));
    });
  }

  async updateStatus<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOfKind<K>,
    opts: StatusWriteOptions = {},
  ): Promise<number> {
    const key = { kind, namespace, name };
    return this.write(`update status of ${describe(key)}`, () => {
      const row = this.mustRow(key);
      const expected = opts.expectedResourceVersion;
      if (expected !== undefined && expected !== row.resource_version) {
        throw new ConflictError(key, expected, row.resource_version);
      }
      if (row.status !== null && jsonEqual(JSON.parse(row.status), status)) return row.resource_version;
      this.stmt.upsertStatus.run(row.id, JSON.stringify(status));
      const rv = this.recordChange(key, "status", row.generation);
      this.stmt.setObjectRv.run(rv, row.id);
      return rv;
    });
  }

  // ---------------------------------------------------------------- tags and digests

  private repositoryId(namespace: string, name: string): number {
    return this.mustRow({ kind: "ImageRepository", namespace, name }).id;
  }

  async putTags(namespace: string, repository: string, tags: string[], scan: ScanInfo): Promise<void> {
    const op = `store tags of ImageRepository '${namespace}/${repository}'`;
    const blob = JSON.stringify(tags);
    this.write(op, () => {
      const id = this.repositoryId(namespace, repository);
      this.stmt.upsertTags.run({
        id,
        tags: blob,
        count: tags.length,
        revision: scan.revision,
        scanTime: scan.scanTime,
      });
      this.stmt.dropVanishedDigests.run(id, blob);
    });
  }

  async getTags(namespace: string, repository: string): Promise<TagSet | undefined> {
    return this.read(`read tags of ImageRepository '${namespace}/${repository}'`, () => {
      const row = this.row({ kind: "ImageRepository", namespace, name: repository });
      if (!row) return undefined;
      const t = this.stmt.tagsOf.get(row.id);
      if (!t) return undefined;
      return { tags: JSON.parse(t.tags) as string[], revision: t.revision, scanTime: t.scan_time };
    });
  }

  async putDigests(namespace: string, repository: string, digests: Record<string, string>): Promise<void> {
    this.write(`store digests of ImageRepository '${namespace}/${repository}'`, () => {
      const id = this.repositoryId(namespace, repository);
      for (const [tag, digest] of Object.entries(digests)) this.stmt.upsertDigest.run(id, tag, digest);
    });
  }

  async getDigests(namespace: string, repository: string): Promise<Record<string, string>> {
    return this.read(`read digests of ImageRepository '${namespace}/${repository}'`, () => {
      const row = this.row({ kind: "ImageRepository", namespace, name: repository });
      const out: Record<string, string> = {};
      if (!row) return out;
      for (const d of this.stmt.digestsOf.all(row.id)) out[d.tag] = d.digest;
      return out;
    });
  }

  // ---------------------------------------------------------------- secrets

  async putSecret(namespace: string, name: string, secret: SecretInput): Promise<void> {
    const op = `store Secret '${namespace}/${name}'`;
    if (!namespace || !name) throw new InvalidObjectError(`${op}: namespace and name are required`);
    for (const [k, v] of Object.entries(secret.data)) {
      // Names the key only: the value is the secret.
      if (typeof v !== "string") throw new InvalidObjectError(`${op}: data.${k} must be a string`);
    }
    this.write(op, () => {
      this.stmt.upsertSecret.run({
        namespace,
        name,
        type: secret.type ?? "Opaque",
        data: JSON.stringify(secret.data),
        at: this.timestamp(),
      });
    });
  }

  async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.read(`read Secret '${namespace}/${name}'`, () => {
      const row = this.stmt.secretByKey.get(namespace, name);
      return row ? secretFromRow(row) : undefined;
    });
  }

  async listSecrets(namespace?: string): Promise<SecretSummary[]> {
    return this.read("list secrets", () => {
      const rows =
        namespace === undefined ? this.stmt.allSecrets.all() : this.stmt.secretsInNs.all(namespace);
      return rows.map((r) => summarizeSecret(secretFromRow(r)));
    });
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    return this.write(
      `delete Secret '${namespace}/${name}'`,
      () => this.stmt.deleteSecret.run(namespace, name).changes > 0,
    );
  }

  // ---------------------------------------------------------------- events and runs

  async recordEvent(e: EventInput): Promise<void> {
    this.write(`record event for ${describe(e)}`, () => {
      const last = this.stmt.lastEventOf.get(e.kind, e.namespace, e.name);
      if (last && last.type === e.type && last.reason === e.reason && last.message === e.message) {
        this.stmt.bumpEvent.run(e.at, last.id);
        return;
      }
      const id = Number(
        this.stmt.insertEvent.run({
          kind: e.kind,
          namespace: e.namespace,
          name: e.name,
          type: e.type,
          reason: e.reason,
          message: e.message,
          at: e.at,
        }).lastInsertRowid,
      );
      if (id % PRUNE_EVERY === 0 && id > this.historyRetention) {
        this.stmt.pruneEvents.run(id - this.historyRetention);
      }
    });
  }

  async listEvents(filter: EventFilter = {}, limit = 100): Promise<StoredEvent[]> {
    return this.read("list events", () => {
      const { where, params } = whereClause({
        kind: filter.kind,
        namespace: filter.namespace,
        name: filter.name,
      });
      const rows = this.db
        .prepare<unknown[], EventRow>(`SELECT * FROM events ${where} ORDER BY id DESC LIMIT ?`)
        .all(...params, limit);
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        type: r.type,
        reason: r.reason,
        message: r.message,
        firstAt: r.first_at,
        lastAt: r.last_at,
        count: r.count,
      }));
    });
  }

  async recordRun(run: RunInput): Promise<number> {
    return this.write(`record run of ImageUpdateAutomation '${run.namespace}/${run.name}'`, () => {
      const id = Number(
        this.stmt.insertRun.run({
          namespace: run.namespace,
          name: run.name,
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
          outcome: run.outcome,
          commit: run.commit ?? null,
          branch: run.branch ?? null,
          message: run.message ?? null,
          changes: JSON.stringify(run.changes ?? []),
          error: run.error ?? null,
        }).lastInsertRowid,
      );
      if (id % PRUNE_EVERY === 0 && id > this.historyRetention) {
        this.stmt.pruneRuns.run(id - this.historyRetention);
      }
      return id;
    });
  }

  async listRuns(filter: RunFilter = {}, limit = 100): Promise<StoredRun[]> {
    return this.read("list runs", () => {
      const { where, params } = whereClause({ namespace: filter.namespace, name: filter.name });
      const rows = this.db
        .prepare<unknown[], RunRow>(`SELECT * FROM runs ${where} ORDER BY id DESC LIMIT ?`)
        .all(...params, limit);
      return rows.map(runFromRow);
    });
  }

  // ---------------------------------------------------------------- change feed

  async currentResourceVersion(): Promise<number> {
    return this.read("read resourceVersion", () => this.latestResourceVersion());
  }

  private latestResourceVersion(): number {
    return Math.max(this.stmt.maxChange.get() ?? 0, this.prunedThrough());
  }

  async changesSince(since: number, limit = 10_000): Promise<ChangeBatch> {
    return this.read("read changes", () => {
      // One read transaction, so the batch and the pruning mark agree.
      return this.db.transaction(() => {
        if (since < this.prunedThrough()) {
          return { resourceVersion: this.latestResourceVersion(), changed: [], expired: true };
        }
        const changed = this.stmt.changesAfter
          .all(since, limit)
          .map((c) => ({ ...c, deleted: c.type === "deleted" }));
        const last = changed.at(-1);
        return { resourceVersion: last ? last.resourceVersion : since, changed, expired: false };
      })();
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function secretFromRow(row: SecretRow): Secret {
  return {
    namespace: row.namespace,
    name: row.name,
    type: row.type,
    data: JSON.parse(row.data) as Record<string, string>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function runFromRow(r: RunRow): StoredRun {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    ...(r.commit_sha !== null ? { commit: r.commit_sha } : {}),
    ...(r.branch !== null ? { branch: r.branch } : {}),
    ...(r.message !== null ? { message: r.message } : {}),
    changes: JSON.parse(r.changes) as StoredRun["changes"],
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

/** Equality filters on fixed column names (never user-supplied names, so no injection). */
function whereClause(filter: Record<string, string | undefined>): { where: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const [column, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(value);
  }
  return { where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}

/** Opens (creating and migrating if needed) the SQLite store at `file`. */
export async function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(file, opts);
}
