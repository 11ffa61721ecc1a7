/**
 * Whether reconciliation belongs to someone else: a daemon announced in this home (daemon-info.ts),
 * or, on a shared PostgreSQL store, any replica with a current heartbeat (lease-manager.ts). The
 * CLI then hands its requests to them through the store instead of reconciling in-process, which
 * would run an object (and push) beside the replica holding its lease.
 */
import type { LeaseStore } from "../store/postgres/leases.js";
import type { Store } from "../store/store.js";
import { runningDaemon } from "./daemon-info.js";

/** The lease operations of a store that has them (PostgreSQL), else undefined. */
export function leaseStoreOf(store: Store): LeaseStore | undefined {
  const leases = (store as Partial<{ leases: LeaseStore }>).leases;
  return leases && typeof leases.heartbeat === "function" ? leases : undefined;
}

export async function reconcilerRunning(store: Store, home: string): Promise<boolean> {
  if (runningDaemon(home) !== undefined) return true;
  const leases = leaseStoreOf(store);
  return leases !== undefined && (await leases.counts()).replicas > 0;
}
