/**
 * Work shared by several replicas of `imagectl serve` on one PostgreSQL store: each object is
 * reconciled by the one replica holding its lease (src/store/postgres/leases.ts).
 *
 * Which replica claims which object is decided by rendezvous hashing over the live replicas (the
 * `replicas` heartbeats): every replica computes the same owner for a key without talking to the
 * others, the work splits evenly, and when a replica joins or leaves only its share moves. The
 * lease row is what makes it safe: a replica runs an object only while it holds a current lease,
 * whatever the hash says (two replicas may briefly disagree on the live set).
 *
 * Timing, with `ttlMs` the lease period: leases and the heartbeat are renewed every ttl/3. A
 * replica that dies stops renewing both; after at most ttl its heartbeat and leases have expired,
 * the others' next renewal (≤ ttl/3 later) moves its keys to them, and their next look at those
 * keys (≤ ttl/3, `recheckMs`) claims them: taken over within two lease periods. A replica that
 * cannot reach the store stops running anything once its last renewal is ttl old (its leases may
 * be someone else's by then), and `fence` is checked right before a push.
 */
import { createHash } from "node:crypto";
import { type ObjectId, objectKey } from "../api/object-id.js";
import type { LeaseStore, TaskGrant } from "../store/postgres/leases.js";
import type { Store } from "../store/store.js";

/** Thrown by `fence` when the lease was lost during a run: the run must not push. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** What the daemon asks of leases (src/controller/daemon.ts); absent for a SQLite home. */
export interface LeaseGate {
  /** The keys among `keys` this replica may reconcile now (held, or just claimed). */
  admit(keys: readonly ObjectId[]): Promise<ObjectId[]>;
  /** How long to wait before asking again about a key not admitted. */
  readonly recheckMs: number;
  /** Whether this replica holds `key` now. */
  holds(key: ObjectId): boolean;
  /** A reconcile of `key` starts / ended (for the holder log, and to release keys that moved). */
  begin(key: ObjectId): void;
  end(key: ObjectId): Promise<void>;
  /** `key` was deleted: its lease is released. */
  forget(key: ObjectId): Promise<void>;
  /** Tells the replica holding `key` to run it (a dependent woken here, owned there). */
  handOff(key: ObjectId): Promise<void>;
  /**
   * Whether this replica may run the store-wide task `name` now (one replica at a time, such as
   * the fact cache's sweep): its lease, claimed on the first ask and then kept by every renewal,
   * so one replica keeps it until it stops or dies; undefined while another replica holds it.
   */
  task(name: string): Promise<TaskGrant | undefined>;
  /** The task completed: recorded with its lease, for whoever holds it next. */
  taskDone(name: string): Promise<void>;
}

export interface LeaseState {
  replica: string;
  /** Live replicas, this one included when its heartbeat is current. */
  replicas: number;
  held: number;
  /** Date.now() of the last renewal that reached the store; 0 before the first. */
  renewedAt: number;
  /** Whether the leases are current (renewed within the lease period). */
  current: boolean;
}

export interface LeaseManagerOptions {
  replica: string;
  ttlMs: number;
  /** One line per lease event (acquired, lost, released, reconcile begin/end). */
  log?: (line: string) => void;
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

/** Rendezvous score of (replica, key): the replica with the highest score owns the key. */
function score(replica: string, key: string): bigint {
  return createHash("sha256").update(replica).update("\0").update(key).digest().readBigUInt64BE(0);
}

export class LeaseManager implements LeaseGate {
  readonly recheckMs: number;
  private readonly held = new Map<string, { key: ObjectId; token: number; since: number }>();
  private readonly running = new Set<string>();
  private live: string[];
  /** Leases count as held until this Date.now(): the start of the last good renewal + ttl. */
  private validUntil = 0;
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private readonly owners = new Map<string, string>();
  /** Store-wide tasks asked for, with their lease while this replica holds it. */
  private readonly tasks = new Map<string, { grant?: TaskGrant }>();

  constructor(
    private readonly leases: LeaseStore,
    private readonly store: Store,
    private readonly opts: LeaseManagerOptions,
  ) {
    this.recheckMs = Math.max(100, Math.floor(opts.ttlMs / 3));
    this.live = [opts.replica];
  }

  get replica(): string {
    return this.opts.replica;
  }

  /** First heartbeat and renewal (failures are retried by the timer), then every ttl/3. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => void this.renew(), this.recheckMs);
    this.timer.unref();
  }

  /** Stops renewing and gives every lease back, so the others take over without waiting. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.renewing;
    this.held.clear();
    this.tasks.clear();
    this.validUntil = 0;
    await this.leases.leave(this.opts.replica).catch(() => {});
  }

  state(): LeaseState {
    return {
      replica: this.opts.replica,
      replicas: this.live.length,
      held: this.held.size,
      renewedAt: this.renewedAt,
      current: Date.now() < this.validUntil,
    };
  }

  holds(key: ObjectId): boolean {
    return Date.now() < this.validUntil && this.held.has(objectKey(key));
  }

  /** The replica that should hold `key`, by rendezvous hashing over the live replicas. */
  ownerOf(key: ObjectId): string {
    const k = objectKey(key);
    let owner = this.owners.get(k);
    if (owner === undefined) {
      let best = -1n;
      for (const r of this.live) {
        const s = score(r, k);
        if (s > best) {
          best = s;
          owner = r;
        }
      }
      owner ??= this.opts.replica;
      this.owners.set(k, owner);
    }
    return owner;
  }

  async admit(keys: readonly ObjectId[]): Promise<ObjectId[]> {
    if (Date.now() >= this.validUntil) return [];
    const claim = keys.filter((k) => !this.held.has(objectKey(k)) && this.ownerOf(k) === this.opts.replica);
    if (claim.length > 0) {
      const since = Date.now();
      for (const g of await this.leases.acquire(this.opts.replica, claim, this.opts.ttlMs)) {
        const key = { kind: g.kind, namespace: g.namespace, name: g.name };
        this.held.set(objectKey(key), { key, token: g.token, since });
        this.log(`lease acquired ${objectKey(key)} token=${g.token}`);
      }
      // A claim only counts while the renewal window it was made in is open.
      if (since >= this.validUntil) return [];
    }
    return keys.filter((k) => this.holds(k));
  }

  begin(key: ObjectId): void {
    const k = objectKey(key);
    this.running.add(k);
    this.log(`reconcile begin ${k} token=${this.held.get(k)?.token ?? "none"}`);
  }

  async end(key: ObjectId): Promise<void> {
    const k = objectKey(key);
    this.running.delete(k);
    const lease = this.held.get(k);
    this.log(`reconcile end ${k} token=${lease?.token ?? "none"}`);
    if (!lease) return;
    await this.leases.markReconciled(this.opts.replica, key, lease.token).catch(() => {});
    // The key moved to another replica (one joined) while it ran here: hand it over now.
    if (this.ownerOf(key) !== this.opts.replica) await this.releaseKeys([lease.key]);
  }

  async forget(key: ObjectId): Promise<void> {
    const lease = this.held.get(objectKey(key));
    if (lease) await this.releaseKeys([lease.key]);
  }

  async handOff(key: ObjectId): Promise<void> {
    if (this.holds(key)) return;
    await this.store.requestReconcile(key.kind, key.namespace, key.name, new Date().toISOString());
  }

  /**
   * Right before a push: still the holder under the token the run started with? Extends the lease
   * so it cannot lapse during the push; throws LeaseLostError otherwise.
   */
  async fence(key: ObjectId): Promise<void> {
    const k = objectKey(key);
    const lease = this.held.get(k);
    const ok =
      lease !== undefined &&
      Date.now() < this.validUntil &&
      (await this.leases.confirm(this.opts.replica, key, lease.token, this.opts.ttlMs));
    if (!ok) {
      this.held.delete(k);
      this.log(`lease lost ${k}: not pushing`);
      throw new LeaseLostError(`${k}: this replica no longer holds the lease; not pushing`);
    }
  }

  async task(name: string): Promise<TaskGrant | undefined> {
    if (!this.tasks.has(name)) {
      this.tasks.set(name, {});
      await this.claimTasks([name]);
    }
    const grant = this.tasks.get(name)?.grant;
    return grant && Date.now() < this.validUntil ? grant : undefined;
  }

  async taskDone(name: string): Promise<void> {
    const grant = this.tasks.get(name)?.grant;
    if (grant) await this.leases.markTaskDone(this.opts.replica, name, grant.token);
  }

  /**
   * Claims each task, or extends it when held (one statement each; a holder that stops renewing
   * loses it after one lease period, and the next claim of another replica takes it over).
   */
  private async claimTasks(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const t = this.tasks.get(name);
      if (!t) continue;
      const grant = await this.leases.claimTask(this.opts.replica, name, this.opts.ttlMs);
      if (grant && grant.token !== t.grant?.token)
        this.log(`task lease acquired ${name} token=${grant.token}`);
      if (!grant && t.grant) this.log(`task lease lost ${name} token=${t.grant.token}`);
      if (grant) t.grant = grant;
      else delete t.grant;
    }
  }

  private renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    const started = Date.now();
    try {
      const live = await this.leases.heartbeat(this.opts.replica, this.opts.ttlMs);
      const grants = await this.leases.renew(this.opts.replica, this.opts.ttlMs);
      await this.claimTasks([...this.tasks.keys()]);
      if (live.join("\n") !== this.live.join("\n")) {
        this.live = live.includes(this.opts.replica) ? live : [...live, this.opts.replica].sort();
        this.owners.clear();
        this.log(`replicas: ${this.live.join(", ")}`);
      }
      const now = new Map(grants.map((g) => [objectKey(g), g.token]));
      for (const [k, lease] of this.held) {
        // A lease claimed while this renewal was on its way is not in its answer.
        if (lease.since >= started) continue;
        if (now.get(k) !== lease.token) {
          this.held.delete(k);
          this.log(`lease lost ${k} token=${lease.token}`);
        }
      }
      this.validUntil = started + this.opts.ttlMs;
      this.renewedAt = Date.now();
      // Keys that now belong to another replica (one joined) and are not running: give them back.
      const moved = [...this.held.values()]
        .filter((l) => !this.running.has(objectKey(l.key)) && this.ownerOf(l.key) !== this.opts.replica)
        .map((l) => l.key);
      await this.releaseKeys(moved);
    } catch (err) {
      this.log(`lease renewal failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async releaseKeys(keys: ObjectId[]): Promise<void> {
    if (keys.length === 0) return;
    for (const k of keys) this.held.delete(objectKey(k));
    await this.leases.release(this.opts.replica, keys).catch(() => {});
    for (const k of keys) this.log(`lease released ${objectKey(k)}`);
  }

  private log(line: string): void {
    this.opts.log?.(`[${this.opts.replica}] ${line}`);
  }
}
