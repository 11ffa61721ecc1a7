import { type ObjectId, objectKey } from "../api/object-id.js";
import { KINDS, type Kind } from "../api/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import { DigestFactPruner } from "./digest-fact-pruner.js";
import type { LeaseGate } from "./lease-manager.js";
import type { ReconcileOutcome } from "./outcome.js";
import { reconcileObject, wakeDependents, wantsReconcile } from "./reconcile.js";

/** Flux's per-object rate limiter: 750 ms doubling up to 15 min. */
export const MIN_RETRY_MS = 750;
export const MAX_RETRY_MS = 15 * 60_000;

export function backoffMs(failures: number): number {
  return Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.max(0, failures - 1));
}

const WATCHED: readonly Kind[] = KINDS;

export interface DaemonOptions {
  /** Objects reconciled at the same time. */
  concurrency?: number;
  /** How often the store's change feed is read (the CLI's changes show up within this). */
  pollMs?: number;
  onResult?: (key: ObjectId, outcome: ReconcileOutcome) => void;
  onError?: (key: ObjectId, err: unknown) => void;
  /**
   * Several replicas on one store (PostgreSQL): an object runs here only while this replica
   * holds its lease (lease-manager.ts). Absent for a SQLite home, which has one daemon.
   */
  leases?: LeaseGate;
  /**
   * The fact cache's sweep (digest-fact-pruner.ts): the first `firstAfterMs` after start (not
   * during start-up's burst), one batch every `pauseMs` until it reaches the end, the next sweep
   * `everyMs` after the last began; `batchRows` rows a batch (default PRUNE_BATCH_ROWS). `false`:
   * never. With `leases`, only the replica holding the sweep's store-wide lease sweeps.
   */
  factPruning?: FactPruning | false;
}

interface FactPruning {
  firstAfterMs: number;
  everyMs: number;
  pauseMs: number;
  batchRows?: number;
}

const FACT_PRUNING: FactPruning = { firstAfterMs: 60_000, everyMs: 3_600_000, pauseMs: 2_000 };

/** The store-wide lease of the fact cache's sweep (LeaseGate.task). */
export const FACT_SWEEP_TASK = "digest-fact-sweep";

interface Entry {
  key: ObjectId;
  dueAt: number;
  failures: number;
  /** Set while a reconcile runs; a change arriving meanwhile re-queues it afterwards. */
  running: boolean;
  dirty: boolean;
}

/**
 * The long-running reconcile loop behind `imagectl serve`: every object on its interval,
 * failures with backoff, changes made by the CLI picked up from the store's change feed,
 * dependents woken when a result changes.
 */
export class Daemon {
  private readonly entries = new Map<string, Entry>();
  private inFlight = new Set<Promise<void>>();
  private stopped = false;
  private resourceVersion = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private lastPoll = 0;
  private lastStep = 0;
  /** Feed versions of the requests wakeDependents passed on: those objects are scheduled already. */
  private readonly ownRequests = new Set<number>();
  private readonly pruner: DigestFactPruner;
  private pruneDueAt = Number.POSITIVE_INFINITY;
  private sweepStartedAt = 0;
  private pruning: Promise<void> | undefined;
  /** The token of the sweep's lease this replica's sweep runs under (replicas only). */
  private sweepToken: number | undefined;

  constructor(
    private readonly deps: ControllerDeps,
    private readonly opts: DaemonOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 4;
    this.pollMs = opts.pollMs ?? 500;
    const batchRows = opts.factPruning ? opts.factPruning.batchRows : undefined;
    this.pruner = new DigestFactPruner(deps.store, {
      now: () => deps.now(),
      ...(batchRows && { batchRows }),
    });
  }

  async start(): Promise<void> {
    if (this.opts.factPruning !== false)
      this.pruneDueAt = Date.now() + (this.opts.factPruning ?? FACT_PRUNING).firstAfterMs;
    this.resourceVersion = await this.deps.store.currentResourceVersion();
    await this.scheduleAll();
    this.tick();
  }

  private async scheduleAll(): Promise<void> {
    for (const kind of WATCHED) {
      for (const obj of await this.deps.store.list(kind)) {
        this.schedule({ kind, namespace: obj.metadata.namespace, name: obj.metadata.name }, Date.now());
      }
    }
  }

  /** Stops scheduling, waits for running reconciles (each bounded by its own timeout). */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = Promise.allSettled([...this.inFlight, ...(this.pruning ? [this.pruning] : [])]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  /** `Date.now()` at the start of the loop's last step (0 before the first): a stuck loop stops moving it. */
  lastStepAt(): number {
    return this.lastStep;
  }

  running(): boolean {
    return !this.stopped;
  }

  /** Objects due now and waiting for a free reconcile slot. */
  queueDepth(): number {
    const now = Date.now();
    let n = 0;
    for (const e of this.entries.values()) if (!e.running && e.dueAt <= now) n++;
    return n;
  }

  /**
   * Run `key` within `delayMs` (a webhook's burst of calls collapses into one reconcile: the first
   * call sets the time, later ones within the window find it set).
   */
  requestSoon(key: ObjectId, delayMs: number): void {
    this.schedule(key, Date.now() + delayMs);
  }

  /** Ask for `key` to run at `at` (earlier wins). */
  schedule(key: ObjectId, at: number): void {
    const k = objectKey(key);
    const e = this.entries.get(k);
    if (!e) {
      this.entries.set(k, { key, dueAt: at, failures: 0, running: false, dirty: false });
      return;
    }
    if (e.running) e.dirty = true;
    e.dueAt = Math.min(e.dueAt, at);
  }

  private tick = (): void => {
    if (this.stopped) return;
    void this.step().finally(() => {
      if (!this.stopped) this.timer = setTimeout(this.tick, 100);
    });
  };

  private async step(): Promise<void> {
    const now = Date.now();
    this.lastStep = now;
    if (now - this.lastPoll >= this.pollMs) {
      this.lastPoll = now;
      await this.pollChanges().catch((err) =>
        this.opts.onError?.({ kind: "ImageRepository", namespace: "", name: "" }, err),
      );
    }
    if (now >= this.pruneDueAt && !this.pruning) this.pruneBatch(now);
    let due = [...this.entries.values()]
      .filter((e) => !e.running && e.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt);
    if (this.opts.leases && due.length > 0) due = await this.admitted(this.opts.leases, due, now);
    for (const e of due) {
      if (this.inFlight.size >= this.concurrency || this.stopped) break;
      this.launch(e);
    }
  }

  /**
   * One batch of the fact cache's sweep beside the reconciles (never awaited by the loop: a slow
   * store must not hold the loop up). A failure is reported and the batch tried again later.
   */
  private pruneBatch(now: number): void {
    const timing = this.opts.factPruning || FACT_PRUNING;
    this.pruneDueAt = Number.POSITIVE_INFINITY;
    this.pruning = this.pruneStep(now, timing)
      .catch((err: unknown) => {
        this.opts.onError?.({ kind: "ImageRepository", namespace: "", name: "" }, err);
        return Date.now() + timing.everyMs / 4;
      })
      .then((at) => {
        this.pruneDueAt = at;
        this.pruning = undefined;
      });
  }

  /** Runs one batch when this process may sweep; returns when to look again. */
  private async pruneStep(now: number, timing: FactPruning): Promise<number> {
    const leases = this.opts.leases;
    if (leases) {
      // Replicas share one table: every one of them sweeping it would multiply the work, so only
      // the holder of the sweep's lease sweeps; the others ask again after a renewal period.
      const lease = await leases.task(FACT_SWEEP_TASK);
      if (!lease) {
        this.sweepToken = undefined;
        return Date.now() + leases.recheckMs;
      }
      if (lease.token !== this.sweepToken) {
        // A new tenure (first claim, or taken over from a replica that died): start a sweep
        // afresh, when the last one completed by any replica says the next is due.
        this.sweepToken = lease.token;
        this.sweepStartedAt = 0;
        this.pruner.restart();
        const due = lease.sinceDoneMs === undefined ? now : now - lease.sinceDoneMs + timing.everyMs;
        if (due > now) return due;
      }
    }
    if (this.sweepStartedAt === 0) this.sweepStartedAt = now;
    if (!(await this.pruner.step())) return Date.now() + timing.pauseMs;
    const at = this.sweepStartedAt + timing.everyMs;
    this.sweepStartedAt = 0;
    await leases?.taskDone(FACT_SWEEP_TASK);
    return Math.max(at, Date.now() + timing.pauseMs);
  }

  /** The due entries this replica holds the lease of; the others are looked at again later. */
  private async admitted(leases: LeaseGate, due: Entry[], now: number): Promise<Entry[]> {
    let ok: Set<string>;
    try {
      ok = new Set((await leases.admit(due.map((e) => e.key))).map(objectKey));
    } catch (err) {
      this.opts.onError?.({ kind: "ImageRepository", namespace: "", name: "" }, err);
      ok = new Set();
    }
    const mine: Entry[] = [];
    for (const e of due) {
      if (ok.has(objectKey(e.key))) mine.push(e);
      else e.dueAt = now + leases.recheckMs;
    }
    return mine;
  }

  private async pollChanges(): Promise<void> {
    const feed = await this.deps.store.changesSince(this.resourceVersion);
    this.resourceVersion = feed.resourceVersion;
    // Fell too far behind the feed: start over from a full listing.
    if (feed.expired) {
      this.resourceVersion = await this.deps.store.currentResourceVersion();
      return this.scheduleAll();
    }
    for (const c of feed.changed) {
      // Our own status writes come back through the feed too; only spec/metadata changes matter.
      if (!WATCHED.includes(c.kind) || c.type === "status") continue;
      // Requests we passed on to woken dependents come back too: those are scheduled already, and
      // rescheduling one that is running would run it a second time.
      if (this.ownRequests.delete(c.resourceVersion)) continue;
      const key: ObjectId = { kind: c.kind, namespace: c.namespace, name: c.name };
      if (c.type === "deleted") {
        this.entries.delete(objectKey(key));
        await this.opts.leases?.forget(key);
        continue;
      }
      const obj = await this.deps.store.get(c.kind, c.namespace, c.name);
      if (obj && wantsReconcile(obj)) this.schedule(key, Date.now());
    }
  }

  private launch(e: Entry): void {
    e.running = true;
    e.dirty = false;
    e.dueAt = Number.POSITIVE_INFINITY;
    const p = this.run(e).finally(() => {
      e.running = false;
      this.inFlight.delete(p);
      if (e.dirty) e.dueAt = Math.min(e.dueAt, Date.now());
    });
    this.inFlight.add(p);
  }

  private async run(e: Entry): Promise<void> {
    const leases = this.opts.leases;
    leases?.begin(e.key);
    try {
      await this.reconcile(e);
    } catch (err) {
      // The store failed after the reconcile (waking dependents): retried like a failure, and
      // never an unhandled rejection that would end the process.
      this.opts.onError?.(e.key, err);
      e.failures++;
      e.dueAt = Date.now() + backoffMs(e.failures);
    } finally {
      await leases?.end(e.key);
    }
  }

  private async reconcile(e: Entry): Promise<void> {
    let outcome: ReconcileOutcome | undefined;
    try {
      outcome = await reconcileObject(this.deps, e.key);
    } catch (err) {
      this.opts.onError?.(e.key, err);
      e.failures++;
      e.dueAt = Date.now() + backoffMs(e.failures);
      return;
    }
    if (!outcome) {
      this.entries.delete(objectKey(e.key));
      return;
    }
    this.opts.onResult?.(e.key, outcome);
    if (outcome.failed) {
      e.failures++;
      e.dueAt = Date.now() + (outcome.requeueAfterMs ?? backoffMs(e.failures));
    } else {
      e.failures = 0;
      // Stalled or suspended objects wait for a spec change (seen through the change feed).
      if (!outcome.stalled && !outcome.suspended && outcome.requeueAfterMs !== undefined)
        e.dueAt = Date.now() + outcome.requeueAfterMs;
    }
    for (const woken of await wakeDependents(this.deps, e.key, outcome)) {
      if (woken.requestVersion !== undefined && woken.requestVersion > this.resourceVersion)
        this.ownRequests.add(woken.requestVersion);
      this.schedule(woken.key, Date.now());
      // Owned by another replica: only the store reaches it (a request it sees in the feed).
      if (woken.requestVersion === undefined) await this.opts.leases?.handOff(woken.key);
    }
  }
}
