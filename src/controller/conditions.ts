import type { CommonStatus, Condition } from "../api/types.js";

/**
 * kstatus-style conditions as Flux sets them: `Ready` always present; `Reconciling` and
 * `Stalled` are negative-polarity and removed when false.
 */
export type ConditionStatus = Condition["status"];

export const READY = "Ready";
export const RECONCILING = "Reconciling";
export const STALLED = "Stalled";

function setCondition(
  conditions: Condition[],
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  now: string,
  generation: number | undefined,
): Condition[] {
  const existing = conditions.find((c) => c.type === type);
  const lastTransitionTime = existing && existing.status === status ? existing.lastTransitionTime : now;
  const next: Condition = { type, status, reason, message, lastTransitionTime };
  if (generation !== undefined) next.observedGeneration = generation;
  return [...conditions.filter((c) => c.type !== type), next].sort(byType);
}

const ORDER = [READY, RECONCILING, STALLED];
function byType(a: Condition, b: Condition): number {
  const ia = ORDER.indexOf(a.type);
  const ib = ORDER.indexOf(b.type);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

function without(conditions: Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/** Success: Ready=True, no Reconciling, no Stalled. */
export function markReady<S extends CommonStatus>(
  status: S,
  reason: string,
  message: string,
  now: string,
  generation?: number,
): S {
  let c = without(without(status.conditions ?? [], RECONCILING), STALLED);
  c = setCondition(c, READY, "True", reason, message, now, generation);
  return { ...status, conditions: c, observedGeneration: generation ?? status.observedGeneration };
}

/** A failure that will be retried with backoff: Ready=False, Reconciling=True (ProgressingWithRetry). */
export function markFailed<S extends CommonStatus>(
  status: S,
  reason: string,
  message: string,
  now: string,
  generation?: number,
): S {
  let c = without(status.conditions ?? [], STALLED);
  c = setCondition(c, READY, "False", reason, message, now, generation);
  c = setCondition(c, RECONCILING, "True", "ProgressingWithRetry", message, now, generation);
  return { ...status, conditions: c, observedGeneration: generation ?? status.observedGeneration };
}

/** A failure that retrying cannot fix (invalid spec): Ready=False and Stalled=True, no retry until the spec changes. */
export function markStalled<S extends CommonStatus>(
  status: S,
  reason: string,
  message: string,
  now: string,
  generation?: number,
): S {
  let c = without(status.conditions ?? [], RECONCILING);
  c = setCondition(c, READY, "False", reason, message, now, generation);
  c = setCondition(c, STALLED, "True", reason, message, now, generation);
  return { ...status, conditions: c, observedGeneration: generation ?? status.observedGeneration };
}

/** Work in progress: Reconciling=True, Ready=Unknown. */
export function markReconciling<S extends CommonStatus>(
  status: S,
  message: string,
  now: string,
  generation?: number,
): S {
  let c = without(status.conditions ?? [], STALLED);
  c = setCondition(c, RECONCILING, "True", "Progressing", message, now, generation);
  c = setCondition(c, READY, "Unknown", "Progressing", "reconciliation in progress", now, generation);
  return { ...status, conditions: c };
}

export function findCondition(status: CommonStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function isReady(status: CommonStatus | undefined): boolean {
  return findCondition(status, READY)?.status === "True";
}

export function isStalled(status: CommonStatus | undefined): boolean {
  return findCondition(status, STALLED)?.status === "True";
}
