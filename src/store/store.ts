/**
 * The storage contract every backend implements (SQLite now, PostgreSQL later).
 *
 * Everything here is backend-neutral: no SQL, no file paths, no driver types. All methods are
 * async so a networked backend fits; the SQLite backend resolves immediately.
 */
import type { ObjectId } from "../api/object-id.js";
import type { AnyObject, Kind, LabelSelector, ObjectMeta, ObjectOfKind } from "../api/types.js";

/** Annotation Flux's `reconcile` command sets to ask for an immediate reconcile. */
export const RECONCILE_REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";

/** Metadata as the store returns it: the fields the store owns are always present. */
export interface StoredMeta extends ObjectMeta {
  generation: number;
  creationTimestamp: string;
  /**
   * Store-wide monotonic change counter at this object's last write (spec, metadata or status).
   * A number, unlike Kubernetes' opaque string, so callers can compare it with `changesSince`.
   */
  resourceVersion: number;
}

export type StoredObject<K extends Kind = Kind> = ObjectOfKind<K> & { metadata: StoredMeta };

export type StatusOfKind<K extends Kind> = NonNullable<ObjectOfKind<K>["status"]>;

export interface ListOptions {
  namespace?: string;
  /** Kubernetes semantics: an empty selector matches everything. */
  labelSelector?: LabelSelector;
}

export type ApplyAction = "created" | "configured" | "unchanged";

export interface ApplyResult extends ObjectId {
  /** `configured` = spec, labels, annotations or apiVersion changed; only a spec change bumps generation. */
  action: ApplyAction;
  generation: number;
  resourceVersion: number;
}

export interface StatusWriteOptions {
  /** Optimistic concurrency: fail with ConflictError if the object changed since this version. */
  expectedResourceVersion?: number;
}

// ---------------------------------------------------------------- tags

export interface ScanInfo {
  /** Digest of the sorted tag list (Flux's `lastScanResult.revision`). */
  revision: string;
  scanTime: string;
}

export interface TagSet extends ScanInfo {
  tags: string[];
}

/** One fact about image content (fact-based selection): a JSON value and when it was found. */
export interface DigestFact {
  value: string;
  checkedAt: string;
}

/** A tag's digest and the scan (its scanTime) after which it was resolved. */
export interface ResolvedDigest {
  digest: string;
  scanTime?: string;
}

/** The primary key of one `digest_facts` row: the cursor of a pruning sweep. */
export interface DigestFactKey {
  image: string;
  digest: string;
  fact: string;
}

/** An ImageRepository and the canonical image names its resolved digests may be content of. */
export interface LiveRepository {
  namespace: string;
  name: string;
  images: readonly string[];
}

/** One batch of a pruning sweep over `digest_facts` (rules in src/store/digest-fact-prune.ts). */
export interface DigestFactPruneBatch {
  live: readonly LiveRepository[];
  now: string;
  /** How long a digest stays unreferenced before its facts go. */
  retentionMs: number;
  /** Rows after this key (in key order); from the first row when absent. */
  after?: DigestFactKey;
  /** Rows examined at most: the work of one call, whatever the table's size. */
  limit: number;
}

export interface DigestFactPruneResult {
  examined: number;
  removed: number;
  /** Where the next batch starts; absent when this batch reached the end of the table. */
  next?: DigestFactKey;
}

// ---------------------------------------------------------------- secrets

/**
 * Kubernetes Secret types are used verbatim so Secret manifests round-trip:
 * `kubernetes.io/dockerconfigjson`, `kubernetes.io/basic-auth`, `kubernetes.io/ssh-auth`,
 * `kubernetes.io/tls`, `Opaque` (the default).
 */
export type SecretType =
  | "Opaque"
  | "kubernetes.io/dockerconfigjson"
  | "kubernetes.io/basic-auth"
  | "kubernetes.io/ssh-auth"
  | "kubernetes.io/tls"
  | (string & {});

export interface SecretInput {
  type?: SecretType;
  /** Decoded values (not base64). */
  data: Record<string, string>;
}

export interface Secret {
  namespace: string;
  name: string;
  type: SecretType;
  data: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** What list calls return: key names only, never values. */
export interface SecretSummary {
  namespace: string;
  name: string;
  type: SecretType;
  keys: string[];
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- events and runs

export type EventType = "Normal" | "Warning";

export interface EventInput extends ObjectId {
  type: EventType;
  reason: string;
  message: string;
  at: string;
}

/** Identical consecutive events for one object are folded into one with a count, as Kubernetes does. */
export interface StoredEvent extends ObjectId {
  id: number;
  type: EventType;
  reason: string;
  message: string;
  firstAt: string;
  lastAt: string;
  count: number;
}

export interface EventFilter {
  kind?: Kind;
  namespace?: string;
  name?: string;
}

/** One line the automation changed (Flux's `Result` → file → setter → old/new). */
export interface RunChange {
  file: string;
  setter: string;
  oldValue: string;
  newValue: string;
}

export type RunOutcome = "pushed" | "unchanged" | "failed";

/** One ImageUpdateAutomation run. */
export interface RunInput {
  namespace: string;
  name: string;
  startedAt: string;
  finishedAt: string;
  outcome: RunOutcome;
  commit?: string;
  branch?: string;
  message?: string;
  changes?: RunChange[];
  /** Already free of secrets: callers must not put credentials or URLs with userinfo here. */
  error?: string;
}

export interface StoredRun extends RunInput {
  id: number;
  changes: RunChange[];
}

export interface RunFilter {
  namespace?: string;
  name?: string;
}

// ---------------------------------------------------------------- change feed

export type ChangeType = "created" | "spec" | "metadata" | "status" | "deleted";

export interface Change extends ObjectId {
  resourceVersion: number;
  type: ChangeType;
  /** Generation after the change (0 for `deleted`). */
  generation: number;
  /** Same as `type === "deleted"`. */
  deleted: boolean;
}

export interface ChangeBatch {
  /** Pass this to the next `changesSince` call. */
  resourceVersion: number;
  changed: Change[];
  /**
   * True when `since` is older than the oldest change the store still keeps: changes were
   * lost, so the caller must re-list everything (like Kubernetes' `410 Gone`).
   */
  expired: boolean;
}

// ---------------------------------------------------------------- the store

export interface Store {
  get<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K> | undefined>;
  /** Like `get` but throws NotFoundError. */
  mustGet<K extends Kind>(kind: K, namespace: string, name: string): Promise<StoredObject<K>>;
  /** Sorted by namespace, then name. */
  list<K extends Kind>(kind: K, opts?: ListOptions): Promise<StoredObject<K>[]>;

  /**
   * Creates or updates objects, all or nothing. Spec, labels and annotations are replaced by the
   * given ones (status in the input is ignored), except that a stored `reconcile.fluxcd.io/requestedAt`
   * is kept when the document does not set it. Generation starts at 1 and bumps only when the spec
   * changes (deep compare, key order insensitive).
   */
  apply(objects: AnyObject[]): Promise<ApplyResult[]>;
  /** Deletes the object with its status, tags and digests. False if it did not exist. */
  delete(kind: Kind, namespace: string, name: string): Promise<boolean>;
  /** Sets `spec.suspend`; bumps generation when the value changes, as `kubectl patch` would. */
  setSuspended<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    suspended: boolean,
  ): Promise<StoredObject<K>>;
  /** Sets the requestedAt annotation (no generation bump). */
  requestReconcile<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    at: string,
  ): Promise<StoredObject<K>>;
  /**
   * Replaces the status; never touches spec or generation. Returns the new resourceVersion
   * (unchanged when the status is deep-equal to the stored one: no write, no change event).
   */
  updateStatus<K extends Kind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOfKind<K>,
    opts?: StatusWriteOptions,
  ): Promise<number>;

  /** Replaces the tag set of one ImageRepository in one transaction; drops digests of vanished tags. */
  putTags(namespace: string, repository: string, tags: string[], scan: ScanInfo): Promise<void>;
  getTags(namespace: string, repository: string): Promise<TagSet | undefined>;
  /** Merges tag → digest entries for one ImageRepository. */
  putDigests(namespace: string, repository: string, digests: Record<string, string>): Promise<void>;
  getDigests(namespace: string, repository: string): Promise<Record<string, string>>;
  /** Merges tag → digest entries resolved after the scan at `scanTime`. */
  putResolvedDigests(
    namespace: string,
    repository: string,
    digests: Record<string, string>,
    scanTime: string,
  ): Promise<void>;
  getResolvedDigests(namespace: string, repository: string): Promise<Record<string, ResolvedDigest>>;
  /** Facts about content of `image` (canonical name), by digest; `fact` names which fact. */
  putDigestFacts(image: string, fact: string, facts: Record<string, DigestFact>): Promise<void>;
  /** The known facts among `digests`. */
  getDigestFacts(
    image: string,
    fact: string,
    digests: readonly string[],
  ): Promise<Record<string, DigestFact>>;
  /** Examines one batch of `digest_facts` rows and removes the stale ones, in one transaction. */
  pruneDigestFacts(batch: DigestFactPruneBatch): Promise<DigestFactPruneResult>;

  putSecret(namespace: string, name: string, secret: SecretInput): Promise<void>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  listSecrets(namespace?: string): Promise<SecretSummary[]>;
  deleteSecret(namespace: string, name: string): Promise<boolean>;

  recordEvent(event: EventInput): Promise<void>;
  /** Newest first. */
  listEvents(filter?: EventFilter, limit?: number): Promise<StoredEvent[]>;
  recordRun(run: RunInput): Promise<number>;
  /** Newest first. */
  listRuns(filter?: RunFilter, limit?: number): Promise<StoredRun[]>;

  /** The latest resourceVersion; take it before a full list, then follow with `changesSince`. */
  currentResourceVersion(): Promise<number>;
  /** Object changes after `since`, oldest first. Tag and secret writes are not object changes. */
  changesSince(since: number, limit?: number): Promise<ChangeBatch>;

  close(): Promise<void>;
}
