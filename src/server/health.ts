/**
 * `/readyz`: the daemon is ready when its store answers and its reconcile loop is turning. The loop
 * steps every 100 ms; a loop that has not stepped for `stuckAfterMs` is stuck (or stopping).
 */
import type { Store } from "../store/index.js";

export interface LoopProbe {
  /** `Date.now()` of the loop's last step; 0 before the first. */
  lastStepAt(): number;
  /** False once the loop was told to stop. */
  running(): boolean;
}

/** The lease state of a replica sharing a PostgreSQL store (src/controller/lease-manager.ts). */
export interface LeaseProbe {
  state(): { replica: string; replicas: number; held: number; renewedAt: number; current: boolean };
}

export interface Readiness {
  ready: boolean;
  /** Why not, one line each; empty when ready. */
  reasons: string[];
}

export const STORE_PROBE_TIMEOUT_MS = 2_000;
export const LOOP_STUCK_AFTER_MS = 30_000;

/** `p`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(
  store: Store,
  loop: LoopProbe,
  opts: { now?: number; stuckAfterMs?: number; storeTimeoutMs?: number; leases?: LeaseProbe } = {},
): Promise<Readiness> {
  const reasons: string[] = [];
  try {
    await withTimeout(store.currentResourceVersion(), opts.storeTimeoutMs ?? STORE_PROBE_TIMEOUT_MS, "store");
  } catch (err) {
    reasons.push(`store unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const now = opts.now ?? Date.now();
  const last = loop.lastStepAt();
  if (!loop.running()) reasons.push("reconcile loop stopped");
  else if (last === 0) reasons.push("reconcile loop not started yet");
  else if (now - last > (opts.stuckAfterMs ?? LOOP_STUCK_AFTER_MS)) {
    reasons.push(`reconcile loop stuck: last step ${Math.round((now - last) / 1000)} s ago`);
  }
  const lease = opts.leases?.state();
  if (lease && !lease.current) {
    reasons.push(
      lease.renewedAt === 0
        ? `replica ${lease.replica}: leases not acquired yet`
        : `replica ${lease.replica}: leases lapsed, last renewed ${Math.round((now - lease.renewedAt) / 1000)} s ago`,
    );
  }
  return { ready: reasons.length === 0, reasons };
}
