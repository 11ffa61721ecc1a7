/**
 * The embedded Store: one SQLite file (WAL) shared safely by the CLI and a running daemon.
 *
 * This class only composes: each concern (objects, tags and digests, secrets, history, the change
 * feed) is a module of its own with its SQL, its rows and their checks, and this class gives each
 * call its transaction and the operation name its errors carry. better-sqlite3 is synchronous, so
 * every method does its work before the returned promise settles.
 */
import { dirname, join } from "node:path";
import type { AnyObject, Kind } from "../../api/types.js";
import { describeObjectId } from "../errors.js";
import {
  SECRETS_KEY_FILE,
  type SecretsKeyring,
  type SecretsRotation,
  secretsKeyring,
} from "../secrets-key.js";
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
import { ChangeFeed } from "./changes.js";
import { checkpoint, type Db, openDatabase, read, secureDeleting, writeTransaction } from "./database.js";
import { DigestFactTable } from "./digest-facts.js";
import { HistoryTables } from "./history.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { checkDocument, ObjectTable } from "./objects.js";
import { checkSecretInput, SecretTable } from "./secrets.js";
import { TagTable } from "./tags.js";

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock. */
  busyTimeoutMs?: number;
  /** Change-feed rows kept; older ones are pruned and a consumer that far behind must re-list. */
  changeRetention?: number;
  /** Events and runs kept (newest); older rows are pruned. */
  historyRetention?: number;
  /** Only tests pass their own list, to exercise upgrades. */
  migrations?: readonly Migration[];
  /**
   * The keys secrets are sealed with. Default: the key file `secrets.key` beside the database,
   * created on first use; openStore passes the home's keyring, with the environment's keys.
   */
  secrets?: SecretsKeyring;
  now?: () => Date;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const DEFAULT_CHANGE_RETENTION = 100_000;
const DEFAULT_HISTORY_RETENTION = 50_000;

/** Kubernetes timestamps are RFC 3339 with second precision. */
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Db;
  private readonly changes: ChangeFeed;
  private readonly objects: ObjectTable;
  private readonly tags: TagTable;
  private readonly facts: DigestFactTable;
  private readonly secrets: SecretTable;
  private readonly history: HistoryTables;

  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.file = file;
    const now = opts.now ?? (() => new Date());
    const clock = () => timestamp(now());
    const keyring = opts.secrets ?? secretsKeyring(join(dirname(file), SECRETS_KEY_FILE));
    const parts = openDatabase(
      file,
      opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      opts.migrations ?? MIGRATIONS,
      { sealPlaintextSecrets: (db) => new SecretTable(db, keyring, clock).sealPlaintext() },
      (db) => {
        const changes = new ChangeFeed(db, opts.changeRetention ?? DEFAULT_CHANGE_RETENTION);
        const objects = new ObjectTable(db, changes, clock);
        return {
          db,
          changes,
          objects,
          tags: new TagTable(db, objects),
          facts: new DigestFactTable(db, objects),
          secrets: new SecretTable(db, keyring, clock),
          history: new HistoryTables(db, opts.historyRetention ?? DEFAULT_HISTORY_RETENTION),
        };
      },
    );
    this.db = parts.db;
    this.changes = parts.changes;
    this.objects = parts.objects;
    this.tags = parts.tags;
    this.facts = parts.facts;
    this.secrets = parts.secrets;
    this.history = parts.history;
  }

  private write<T>(op: string, fn: () => T): T {
    return writeTransaction(this.db, op, fn);
  }

  /** A write that replaces or drops sealed secret data: see secureDeleting. */
  private secretWrite<T>(op: string, fn: () => T): T {
    return secureDeleting(this.db, () => writeTransaction(this.db, op, fn));
  }

  private read<T>(op: string, fn: () => T): T {
    return read(this.db, op, fn);
  }

  // ---------------------------------------------------------------- objects

  async get<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K> | undefined> {
    return this.read(`get ${kind}`, () => this.objects.get({ kind, namespace, name }));
  }

  async mustGet<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K>> {
    return this.read(`get ${kind}`, () => this.objects.mustGet({ kind, namespace, name }));
  }

  async list<K extends Kind>(kind: K, opts: ListOptions = {}): Promise<StoredObject<K>[]> {
    return this.read(`list ${kind}`, () => this.objects.list(kind, opts));
  }

  async apply(objects: AnyObject[]): Promise<ApplyResult[]> {
    objects.forEach((doc, i) => {
      checkDocument(doc, i);
    });
    return this.write("apply", () => objects.map((doc) => this.objects.apply(doc)));
  }

  async delete(kind: Kind, namespace: string, name: string): Promise<boolean> {
    const key = { kind, namespace, name };
    return this.write(`delete ${describeObjectId(key)}`, () => this.objects.delete(key));
  }

  async setSuspended<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    suspended: boolean,
  ): Promise<StoredObject<K>> {
    const key = { kind, namespace, name };
    return this.write(`${suspended ? "suspend" : "resume"} ${describeObjectId(key)}`, () =>
      this.objects.setSuspended(key, suspended),
    );
  }

  async requestReconcile<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    at: string,
  ): Promise<StoredObject<K>> {
    const key = { kind, namespace, name };
    return this.write(`reconcile ${describeObjectId(key)}`, () => this.objects.requestReconcile(key, at));
  }

  async updateStatus<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOfKind<K>,
    opts: StatusWriteOptions = {},
  ): Promise<number> {
    const key = { kind, namespace, name };
    return this.write(`update status of ${describeObjectId(key)}`, () =>
      this.objects.updateStatus(key, status, opts),
    );
  }

  // ---------------------------------------------------------------- tags and digests

  async putTags(namespace: string, repository: string, tags: string[], scan: ScanInfo): Promise<void> {
    const blob = JSON.stringify(tags);
    this.write(`store tags of ImageRepository '${namespace}/${repository}'`, () =>
      this.tags.putTags(namespace, repository, blob, tags.length, scan),
    );
  }

  async getTags(namespace: string, repository: string): Promise<TagSet | undefined> {
    return this.read(`read tags of ImageRepository '${namespace}/${repository}'`, () =>
      this.tags.getTags(namespace, repository),
    );
  }

  async putDigests(namespace: string, repository: string, digests: Record<string, string>): Promise<void> {
    this.write(`store digests of ImageRepository '${namespace}/${repository}'`, () =>
      this.tags.putDigests(namespace, repository, digests),
    );
  }

  async getDigests(namespace: string, repository: string): Promise<Record<string, string>> {
    return this.read(`read digests of ImageRepository '${namespace}/${repository}'`, () =>
      this.tags.getDigests(namespace, repository),
    );
  }

  async putResolvedDigests(
    namespace: string,
    repository: string,
    digests: Record<string, string>,
    scanTime: string,
  ): Promise<void> {
    this.write(`store digests of ImageRepository '${namespace}/${repository}'`, () =>
      this.facts.putResolved(namespace, repository, digests, scanTime),
    );
  }

  async getResolvedDigests(namespace: string, repository: string): Promise<Record<string, ResolvedDigest>> {
    return this.read(`read digests of ImageRepository '${namespace}/${repository}'`, () =>
      this.facts.getResolved(namespace, repository),
    );
  }

  async putDigestFacts(image: string, fact: string, facts: Record<string, DigestFact>): Promise<void> {
    this.write(`store image facts of '${image}'`, () => this.facts.putFacts(image, fact, facts));
  }

  async getDigestFacts(
    image: string,
    fact: string,
    digests: readonly string[],
  ): Promise<Record<string, DigestFact>> {
    return this.read(`read image facts of '${image}'`, () => this.facts.getFacts(image, fact, digests));
  }

  async pruneDigestFacts(batch: DigestFactPruneBatch): Promise<DigestFactPruneResult> {
    return this.write("prune image facts", () => this.facts.prune(batch));
  }

  // ---------------------------------------------------------------- secrets

  async putSecret(namespace: string, name: string, secret: SecretInput): Promise<void> {
    const op = `store Secret '${namespace}/${name}'`;
    checkSecretInput(op, namespace, name, secret);
    this.secretWrite(op, () => this.secrets.put(namespace, name, secret));
  }

  async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.read(`read Secret '${namespace}/${name}'`, () => this.secrets.get(namespace, name));
  }

  async listSecrets(namespace?: string): Promise<SecretSummary[]> {
    return this.read("list secrets", () => this.secrets.list(namespace));
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    return this.secretWrite(`delete Secret '${namespace}/${name}'`, () =>
      this.secrets.delete(namespace, name),
    );
  }

  /**
   * Re-encrypts every secret with the current key, opening those sealed with an old one
   * (docs/secrets-at-rest.md). One transaction: a crash or a secret no key opens changes nothing.
   * Not part of Store: it is key management, not data, and reached through rotateSecretsKey.
   */
  async rotateSecretsKey(): Promise<SecretsRotation> {
    const done = this.secretWrite("re-encrypt secrets", () => this.secrets.reseal());
    if (done.resealed > 0) this.read("re-encrypt secrets", () => checkpoint(this.db));
    return done;
  }

  // ---------------------------------------------------------------- events and runs

  async recordEvent(e: EventInput): Promise<void> {
    this.write(`record event for ${describeObjectId(e)}`, () => this.history.recordEvent(e));
  }

  async listEvents(filter: EventFilter = {}, limit = 100): Promise<StoredEvent[]> {
    return this.read("list events", () => this.history.listEvents(filter, limit));
  }

  async recordRun(run: RunInput): Promise<number> {
    return this.write(`record run of ImageUpdateAutomation '${run.namespace}/${run.name}'`, () =>
      this.history.recordRun(run),
    );
  }

  async listRuns(filter: RunFilter = {}, limit = 100): Promise<StoredRun[]> {
    return this.read("list runs", () => this.history.listRuns(filter, limit));
  }

  // ---------------------------------------------------------------- change feed

  async currentResourceVersion(): Promise<number> {
    return this.read("read resourceVersion", () => this.changes.latest());
  }

  async changesSince(since: number, limit = 10_000): Promise<ChangeBatch> {
    return this.read("read changes", () => this.changes.since(since, limit));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating if needed) the SQLite store at `file`. */
export async function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(file, opts);
}
