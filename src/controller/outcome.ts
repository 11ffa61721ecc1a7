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
}

export const REQUEST_ANNOTATION = "reconcile.fluxcd.io/requestedAt";
