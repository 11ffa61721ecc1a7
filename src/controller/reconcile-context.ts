/**
 * The reconciler scaffold: the bookkeeping every reconcile does, in one place, the same on every path.
 *
 * How to add a reconciler (a webhook Receiver, a Git source sync, an alert Provider, …):
 *  1. Write `reconcileX(deps, obj)` as `reconcileWith(deps, obj, async (r) => { …its own logic… })`.
 *     Suspended objects never reach the body.
 *  2. Put what the reconcile found into `r.status` (the kind's own status fields) and end every path
 *     with one of `r.ready(message)`, `r.fail(reason, message)` (retried with backoff),
 *     `r.stall(reason, message)` (retrying cannot help until the spec changes) or `r.idle(…)`
 *     (nothing was due). Helpers deep in the logic may throw StallError / RetryError instead.
 *     The body must return what those return (`Finished` is made nowhere else), so no path can
 *     forget the bookkeeping.
 *  3. Dispatch the kind in reconcileObject (reconcile.ts) (the daemon watches every kind in KINDS);
 *     if other objects read its result, say which fields in RESULT_MOVED (outcome.ts) and who they
 *     are in dependentsOf (reconcile.ts).
 *
 * What the scaffold does on ready / fail / stall: the Ready, Reconciling and Stalled conditions
 * with observedGeneration (conditions.ts), lastHandledReconcileAt when a reconcile was requested,
 * one status write, an event (Warning for every failure and stall; Normal when ready() is given
 * news), and the ReconcileOutcome the scheduler reads, `changed` included.
 */
import { objectIdOf } from "../api/object-id.js";
import type { AnyObject, Kind, ObjectOfKind } from "../api/types.js";
import type { EventType, StatusOfKind } from "../store/store.js";
import { RECONCILE_REQUESTED_AT } from "../store/store.js";
import { markFailed, markReady, markStalled } from "./conditions.js";
import type { ControllerDeps } from "./controller-deps.js";
import { type ReconcileOutcome, resultChanged, suspendedOutcome } from "./outcome.js";
import { reportObjectEvent, reportReconciled } from "./telemetry.js";

declare const finished: unique symbol;

/** An outcome the scaffold made after doing the bookkeeping: the only thing a reconcile body returns. */
export type Finished = ReconcileOutcome & { readonly [finished]: true };

/** A problem in the spec or its references that retrying cannot fix: ends the reconcile as r.stall. */
export class StallError extends Error {
  override name = "StallError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A transient failure: ends the reconcile as r.fail (retried with backoff). */
export class RetryError extends Error {
  override name = "RetryError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface EventNote {
  type: EventType;
  reason: string;
  message: string;
  metadata?: Record<string, string>;
}

/** One reconcile of one object: created by reconcileWith, handed to the kind's own logic. */
export class ReconcileContext<K extends Kind> {
  readonly now: Date;
  readonly nowIso: string;
  /** The status being built: starts as the stored one; ready/fail/stall save it with their conditions. */
  readonly status: StatusOfKind<K>;

  constructor(
    private readonly deps: ControllerDeps,
    private readonly obj: ObjectOfKind<K>,
  ) {
    this.now = deps.now();
    this.nowIso = this.now.toISOString();
    this.status = { ...(obj.status ?? {}) } as StatusOfKind<K>;
  }

  /**
   * Success: Ready=True. `event` is the Normal event's message when there is news to tell
   * (`eventMetadata` travels with it to alerts); recovering from a failure is news too.
   */
  ready(
    message: string,
    opts: { event?: string; eventMetadata?: Record<string, string>; requeueAfterMs?: number } = {},
  ): Promise<Finished> {
    const status = markReady(this.status, "Succeeded", message, this.nowIso, this.generation);
    const outcome: ReconcileOutcome = { ready: true, stalled: false, message };
    if (opts.requeueAfterMs !== undefined) outcome.requeueAfterMs = opts.requeueAfterMs;
    outcome.changed = resultChanged(this.obj.kind, this.obj.status as StatusOfKind<K> | undefined, status);
    const wasReady = this.obj.status?.conditions?.find((c) => c.type === "Ready")?.status;
    const news = opts.event ?? (wasReady === "False" ? message : undefined);
    return this.finish(
      status,
      outcome,
      news === undefined
        ? undefined
        : {
            type: "Normal",
            reason: "Succeeded",
            message: news,
            ...(opts.eventMetadata && { metadata: opts.eventMetadata }),
          },
    );
  }

  /** A failure retried with backoff (or after `requeueAfterMs`): Ready=False, Reconciling=True. */
  fail(reason: string, message: string, opts: { requeueAfterMs?: number } = {}): Promise<Finished> {
    const status = markFailed(this.status, reason, message, this.nowIso, this.generation);
    const outcome: ReconcileOutcome = { ready: false, stalled: false, failed: true, message };
    if (opts.requeueAfterMs !== undefined) outcome.requeueAfterMs = opts.requeueAfterMs;
    return this.finish(status, outcome, { type: "Warning", reason, message });
  }

  /** A failure no retry can fix until the spec changes: Ready=False, Stalled=True. */
  stall(reason: string, message: string): Promise<Finished> {
    const status = markStalled(this.status, reason, message, this.nowIso, this.generation);
    return this.finish(
      status,
      { ready: false, stalled: true, message },
      { type: "Warning", reason, message },
    );
  }

  /**
   * Nothing was due: the last reconcile's status stands and nothing is written. Only for a
   * reconcile that handles no request (a pending request always makes work due).
   */
  idle(requeueAfterMs: number): Finished {
    const ready = this.status.conditions?.find((c) => c.type === "Ready");
    return {
      ready: ready?.status === "True",
      stalled: false,
      requeueAfterMs,
      message: ready?.message ?? "",
    } as Finished;
  }

  private get generation(): number | undefined {
    return this.obj.metadata.generation;
  }

  private async finish(
    status: StatusOfKind<K>,
    outcome: ReconcileOutcome,
    event: EventNote | undefined,
  ): Promise<Finished> {
    const requested = this.obj.metadata.annotations?.[RECONCILE_REQUESTED_AT];
    if (requested) {
      if (requested !== this.obj.status?.lastHandledReconcileAt) outcome.handledRequest = requested;
      status.lastHandledReconcileAt = requested;
    }
    const id = objectIdOf<Kind>(this.obj);
    await this.deps.store.updateStatus(this.obj.kind, id.namespace, id.name, status);
    if (event) {
      const { metadata, ...stored } = event;
      await this.deps.store.recordEvent({ ...id, ...stored, at: this.nowIso });
      reportObjectEvent({ ...id, ...event, at: this.nowIso });
    }
    return outcome as Finished;
  }
}

/**
 * Runs one reconcile of `obj`: suspended objects are left alone; otherwise `body` does the kind's
 * own work and ends through the context, which does the bookkeeping.
 */
export async function reconcileWith<K extends Kind>(
  deps: ControllerDeps,
  obj: ObjectOfKind<K>,
  body: (r: ReconcileContext<K>) => Promise<Finished>,
): Promise<ReconcileOutcome> {
  const object: AnyObject = obj;
  if (object.spec.suspend) return suspendedOutcome();
  const r = new ReconcileContext(deps, obj);
  const started = performance.now();
  let outcome: ReconcileOutcome;
  try {
    outcome = await body(r);
  } catch (err) {
    if (err instanceof StallError) outcome = await r.stall(err.reason, err.message);
    else if (err instanceof RetryError) outcome = await r.fail(err.reason, err.message);
    else throw err;
  }
  reportReconciled({
    ...objectIdOf<Kind>(obj),
    durationMs: performance.now() - started,
    ready: outcome.ready,
    stalled: outcome.stalled,
    failed: outcome.failed === true,
    suspended: false,
    message: outcome.message,
  });
  return outcome;
}
