import { sameImageRef } from "../api/image-ref.js";
import type { Kind } from "../api/types.js";
import type { StatusOfKind } from "../store/store.js";

/** What a reconcile tells the scheduler. */
export interface ReconcileOutcome {
  /** Ready=True after this reconcile. */
  ready: boolean;
  /** Invalid spec: do not retry until the generation changes. */
  stalled: boolean;
  /** Object is suspended: nothing was done. */
  suspended?: boolean;
  /** Retry with backoff (transient failure). */
  failed?: boolean;
  /** Run again after this long (success path); undefined = only on events. */
  requeueAfterMs?: number;
  /** Human summary: the Ready message. */
  message: string;
  /** The observable result changed (tags revision, latest ref, pushed commit): wake dependents. */
  changed?: boolean;
  /**
   * The `reconcile.fluxcd.io/requestedAt` value this reconcile handled for the first time: the
   * dependents it wakes inherit the request, so whoever asked can wait for them too.
   */
  handledRequest?: string;
}

/** A suspended object: nothing is done and nothing is written. */
export function suspendedOutcome(): ReconcileOutcome {
  return { ready: false, stalled: false, suspended: true, message: "suspended" };
}

type ResultMoved = { [K in Kind]: (before?: StatusOfKind<K>, after?: StatusOfKind<K>) => boolean };

/** The part of each kind's status that its dependents read. */
const RESULT_MOVED: ResultMoved = {
  ImageRepository: (a, b) => a?.lastScanResult?.revision !== b?.lastScanResult?.revision,
  ImagePolicy: (a, b) => !sameImageRef(a?.latestRef, b?.latestRef),
  ImageUpdateAutomation: (a, b) => a?.lastPushCommit !== b?.lastPushCommit,
  // A source definition: automations clone the repository themselves, nothing reads its status.
  GitRepository: () => false,
  // Notification objects: nothing reconciles from their status.
  Receiver: () => false,
  Provider: () => false,
  Alert: () => false,
};

/**
 * Whether a reconcile moved the result its dependents read (outcome.changed). Kept apart from the
 * reconcilers so that a waiter comparing two snapshots of a status decides exactly as they do.
 */
export function resultChanged<K extends Kind>(
  kind: K,
  before: StatusOfKind<K> | undefined,
  after: StatusOfKind<K> | undefined,
): boolean {
  const moved: ResultMoved[K] = RESULT_MOVED[kind];
  return moved(before, after);
}
