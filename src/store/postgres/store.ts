/**
 * The PostgreSQL Store: several replicas (and the CLI on any machine) share one database.
 *
 * This class only composes, as sqlite/store.ts does: each concern is a module of its own
 * (objects, tags, secrets, history, changes, leases), and this class gives each call its
 * transaction (object writes take the feed lock first: changes.ts) and the operation name its
 * errors carry.
 */
import type { ObjectId } from "../../api/object-id.js";
import type { AnyObject, Kind } from "../../api/types.js";
import { describeObjectId, SecretsKeyError } from "../errors.js";
import {
  SECRETS_KEY_ENV,
  SECRETS_KEY_FILE_ENV,
  type SecretsKeyOptions,
  SecretsKeyring,
  type SecretsRotation,
  secretsKeyring,
} from "../secrets-key.js";
import { checkDocument } from "../sqlite/objects.js";
import { checkSecretInput } from "../sqlite/secrets.js";
import type {
  ApplyResult,
  ChangeBatch,
  DigestFact,
  DigestFactPruneBatch,
  DigestFactPruneResult,
  EventFilter,
  EventInput,
  ListOptions,
  ResolvedDigest,
  RunFilter,
  RunInput,
  ScanInfo,
  Secret,
  SecretInput,
  SecretSummary,
  StatusOfKind,
  StatusWriteOptions,
  Store,
  StoredEvent,
  StoredObject,
  StoredRun,
  TagSet,
} from "../store.js";
import type { PostgresLocation } from "../url.js";
import { ChangeFeed, lockFeed } from "./changes.js";
import { Database, type PoolOptions, type Sql } from "./database.js";
import { DigestFactTable } from "./digest-facts.js";
import { HistoryTables } from "./history.js";
import { type LeaseStore, LeaseTable } from "./leases.js";
import { migrate } from "./migrate.js";
import { PG_MIGRATIONS, type PgMigration } from "./migrations.js";
import { ObjectTable } from "./objects.js";
import { SecretTable } from "./secrets.js";
import { TagTable } from "./tags.js";

export interface PostgresStoreOptions extends PoolOptions {
  changeRetention?: number;
  historyRetention?: number;
  /** Only tests pass their own list. */
  migrations?: readonly PgMigration[];
  /** The keys secrets are sealed with; default: from `env` (see postgresKeyring). */
  secrets?: SecretsKeyring;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

const DEFAULT_CHANGE_RETENTION = 100_000;
const DEFAULT_HISTORY_RETENTION = 50_000;

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The keyring of a PostgreSQL store: the key must come from IMAGECTL_SECRETS_KEY or
 * IMAGECTL_SECRETS_KEY_FILE (or code). A key file created in one replica's home would not be the
 * key of the next replica, which would seal with its own: so there is no default here, and a
 * secret is refused, naming the variables, until one is set.
 */
export function postgresKeyring(env: NodeJS.ProcessEnv, opts: SecretsKeyOptions = {}): SecretsKeyring {
  if (opts.key !== undefined || env[SECRETS_KEY_ENV] || env[SECRETS_KEY_FILE_ENV]) {
    // No key file is involved: the path is never read.
    return secretsKeyring("/nonexistent/secrets.key", env, opts);
  }
  const missing = (): never => {
    throw new SecretsKeyError(
      `a PostgreSQL store needs its secrets key from ${SECRETS_KEY_ENV} or ${SECRETS_KEY_FILE_ENV} (the same on every replica)`,
    );
  };
  return new SecretsKeyring({ where: SECRETS_KEY_ENV, load: missing, create: missing }, []);
}

export class PostgresStore implements Store {
  readonly leases: LeaseStore;
  private readonly changes: ChangeFeed;
  private readonly objects: ObjectTable;
  private readonly tags: TagTable;
  private readonly facts: DigestFactTable;
  private readonly secrets: SecretTable;
  private readonly history: HistoryTables;

  constructor(
    readonly db: Database,
    opts: PostgresStoreOptions,
  ) {
    const now = opts.now ?? (() => new Date());
    const clock = () => timestamp(now());
    this.changes = new ChangeFeed(opts.changeRetention ?? DEFAULT_CHANGE_RETENTION);
    this.objects = new ObjectTable(this.changes, clock);
    this.tags = new TagTable(this.objects);
    this.facts = new DigestFactTable(this.objects);
    this.secrets = new SecretTable(opts.secrets ?? postgresKeyring(opts.env ?? {}), clock);
    this.history = new HistoryTables(opts.historyRetention ?? DEFAULT_HISTORY_RETENTION);
    this.leases = leaseStore(db, new LeaseTable());
  }

  get location(): string {
    return this.db.location.display;
  }

  /** An object write: the feed lock first, so resourceVersions commit in order. */
  private writeObjects<T>(op: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(op, async (sql) => {
      await lockFeed(sql);
      return fn(sql);
    });
  }

  // ---------------------------------------------------------------- objects

  async get<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K> | undefined> {
    return this.db.read(`get ${kind}`, (sql) => this.objects.get(sql, { kind, namespace, name }));
  }

  async mustGet<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K>> {
    return this.db.read(`get ${kind}`, (sql) => this.objects.mustGet(sql, { kind, namespace, name }));
  }

  async list<K extends Kind>(kind: K, opts: ListOptions = {}): Promise<StoredObject<K>[]> {
    return this.db.read(`list ${kind}`, (sql) => this.objects.list(sql, kind, opts));
  }

  async apply(objects: AnyObject[]): Promise<ApplyResult[]> {
    objects.forEach((doc, i) => {
      checkDocument(doc, i);
    });
    return this.writeObjects("apply", async (sql) => {
      const out: ApplyResult[] = [];
      for (const doc of objects) out.push(await this.objects.apply(sql, doc));
      return out;
    });
  }

  async delete(kind: Kind, namespace: string, name: string): Promise<boolean> {
    const key = { kind, namespace, name };
    return this.writeObjects(`delete ${describeObjectId(key)}`, (sql) => this.objects.delete(sql, key));
  }

  async setSuspended<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    suspended: boolean,
  ): Promise<StoredObject<K>> {
    const key = { kind, namespace, name };
    return this.writeObjects(`${suspended ? "suspend" : "resume"} ${describeObjectId(key)}`, (sql) =>
      this.objects.setSuspended(sql, key, suspended),
    );
  }

  async requestReconcile<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    at: string,
  ): Promise<StoredObject<K>> {
    const key = { kind, namespace, name };
    return this.writeObjects(`reconcile ${describeObjectId(key)}`, (sql) =>
      this.objects.requestReconcile(sql, key, at),
    );
  }

  async updateStatus<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOfKind<K>,
    opts: StatusWriteOptions = {},
  ): Promise<number> {
    const key = { kind, namespace, name };
    return this.writeObjects(`update status of ${describeObjectId(key)}`, (sql) =>
      this.objects.updateStatus(sql, key, status, opts),
    );
  }

  // ---------------------------------------------------------------- tags and digests

  async putTags(namespace: string, repository: string, tags: string[], scan: ScanInfo): Promise<void> {
    const blob = JSON.stringify(tags);
    await this.db.transaction(`store tags of ImageRepository '${namespace}/${repository}'`, (sql) =>
      this.tags.putTags(sql, namespace, repository, blob, tags, scan),
    );
  }

  async getTags(namespace: string, repository: string): Promise<TagSet | undefined> {
    return this.db.read(`read tags of ImageRepository '${namespace}/${repository}'`, (sql) =>
      this.tags.getTags(sql, namespace, repository),
    );
  }

  async putDigests(namespace: string, repository: string, digests: Record<string, string>): Promise<void> {
    await this.db.transaction(`store digests of ImageRepository '${namespace}/${repository}'`, (sql) =>
      this.tags.putDigests(sql, namespace, repository, digests),
    );
  }

  async getDigests(namespace: string, repository: string): Promise<Record<string, string>> {
    return this.db.read(`read digests of ImageRepository '${namespace}/${repository}'`, (sql) =>
      this.tags.getDigests(sql, namespace, repository),
    );
  }

  async putResolvedDigests(
    namespace: string,
    repository: string,
    digests: Record<string, string>,
    scanTime: string,
  ): Promise<void> {
    await this.db.transaction(`store digests of ImageRepository '${namespace}/${repository}'`, (sql) =>
      this.facts.putResolved(sql, namespace, repository, digests, scanTime),
    );
  }

  async getResolvedDigests(namespace: string, repository: string): Promise<Record<string, ResolvedDigest>> {
    return this.db.read(`read digests of ImageRepository '${namespace}/${repository}'`, (sql) =>
      this.facts.getResolved(sql, namespace, repository),
    );
  }

  async putDigestFacts(image: string, fact: string, facts: Record<string, DigestFact>): Promise<void> {
    await this.db.transaction(`store image facts of '${image}'`, (sql) =>
      this.facts.putFacts(sql, image, fact, facts),
    );
  }

  async getDigestFacts(
    image: string,
    fact: string,
    digests: readonly string[],
  ): Promise<Record<string, DigestFact>> {
    return this.db.read(`read image facts of '${image}'`, (sql) =>
      this.facts.getFacts(sql, image, fact, digests),
    );
  }

  async pruneDigestFacts(batch: DigestFactPruneBatch): Promise<DigestFactPruneResult> {
    return this.db.transaction("prune image facts", (sql) => this.facts.prune(sql, batch));
  }

  // ---------------------------------------------------------------- secrets

  async putSecret(namespace: string, name: string, secret: SecretInput): Promise<void> {
    const op = `store Secret '${namespace}/${name}'`;
    checkSecretInput(op, namespace, name, secret);
    await this.db.read(op, (sql) => this.secrets.put(sql, namespace, name, secret));
  }

  async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.db.read(`read Secret '${namespace}/${name}'`, (sql) =>
      this.secrets.get(sql, namespace, name),
    );
  }

  async listSecrets(namespace?: string): Promise<SecretSummary[]> {
    return this.db.read("list secrets", (sql) => this.secrets.list(sql, namespace));
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    return this.db.read(`delete Secret '${namespace}/${name}'`, (sql) =>
      this.secrets.delete(sql, namespace, name),
    );
  }

  /** Re-encrypts every secret with the current key (docs/secrets-at-rest.md); one transaction. */
  async rotateSecretsKey(): Promise<SecretsRotation> {
    return this.db.transaction("re-encrypt secrets", (sql) => this.secrets.reseal(sql));
  }

  // ---------------------------------------------------------------- events and runs

  async recordEvent(e: EventInput): Promise<void> {
    await this.db.transaction(`record event for ${describeObjectId(e)}`, (sql) =>
      this.history.recordEvent(sql, e),
    );
  }

  async listEvents(filter: EventFilter = {}, limit = 100): Promise<StoredEvent[]> {
    return this.db.read("list events", (sql) => this.history.listEvents(sql, filter, limit));
  }

  async recordRun(run: RunInput): Promise<number> {
    return this.db.transaction(`record run of ImageUpdateAutomation '${run.namespace}/${run.name}'`, (sql) =>
      this.history.recordRun(sql, run),
    );
  }

  async listRuns(filter: RunFilter = {}, limit = 100): Promise<StoredRun[]> {
    return this.db.read("list runs", (sql) => this.history.listRuns(sql, filter, limit));
  }

  // ---------------------------------------------------------------- change feed

  async currentResourceVersion(): Promise<number> {
    return this.db.read("read resourceVersion", (sql) => this.changes.latest(sql));
  }

  async changesSince(since: number, limit = 10_000): Promise<ChangeBatch> {
    return this.db.transaction("read changes", async (sql) => {
      await sql.rows("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      return this.changes.since(sql, since, limit);
    });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function leaseStore(db: Database, t: LeaseTable): LeaseStore {
  const op = (what: string) => `leases: ${what}`;
  const key = (k: ObjectId) => describeObjectId(k);
  return {
    heartbeat: (replica, ttl) => db.read(op("heartbeat"), (sql) => t.heartbeat(sql, replica, ttl)),
    leave: (replica) => db.read(op("leave"), (sql) => t.leave(sql, replica)),
    acquire: (holder, keys, ttl) => db.read(op("acquire"), (sql) => t.acquire(sql, holder, keys, ttl)),
    renew: (holder, ttl) => db.read(op("renew"), (sql) => t.renew(sql, holder, ttl)),
    release: (holder, keys) => db.read(op("release"), (sql) => t.release(sql, holder, keys)),
    confirm: (holder, k, token, ttl) =>
      db.read(op(`confirm ${key(k)}`), (sql) => t.confirm(sql, holder, k, token, ttl)),
    markReconciled: (holder, k, token) =>
      db.read(op(`mark ${key(k)}`), (sql) => t.markReconciled(sql, holder, k, token)),
    claimTask: (holder, task, ttl) =>
      db.read(op(`claim task ${task}`), (sql) => t.claimTask(sql, holder, task, ttl)),
    markTaskDone: (holder, task, token) =>
      db.read(op(`mark task ${task}`), (sql) => t.markTaskDone(sql, holder, task, token)),
    info: (k) => db.read(op(`read ${key(k)}`), (sql) => t.info(sql, k)),
    reconciledBy: (kind) => db.read(op("read"), (sql) => t.reconciledBy(sql, kind)),
    counts: () => db.read(op("count"), (sql) => t.counts(sql)),
  };
}

/** Connects to `location`, migrates (one replica at a time) and returns the store. */
export async function openPostgresStore(
  location: PostgresLocation,
  opts: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const db = new Database(location, opts);
  try {
    await migrate(db, opts.migrations ?? PG_MIGRATIONS);
  } catch (err) {
    await db.close();
    throw err;
  }
  return new PostgresStore(db, opts);
}
