/**
 * `imagectl serve` on a shared store: this process as one replica among several. Builds the
 * lease manager when the store has leases (PostgreSQL) and starts it; undefined for a home's
 * SQLite file, where one daemon per home (daemon-lock.ts) does all the work.
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { ControllerDeps } from "./controller-deps.js";
import { LeaseManager } from "./lease-manager.js";
import { leaseStoreOf } from "./lease-replicas.js";

export interface ReplicaOptions {
  /** --replica-id; default `<host>-<pid>-<random>`, unique per start so a restart is a new tenure. */
  replica?: string | undefined;
  ttlMs: number;
  log?: (line: string) => void;
}

const REPLICA_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export class ReplicaIdError extends Error {
  override name = "ReplicaIdError";
}

export async function startReplica(
  deps: ControllerDeps,
  opts: ReplicaOptions,
): Promise<LeaseManager | undefined> {
  const leases = leaseStoreOf(deps.store);
  if (!leases) return undefined;
  const replica = opts.replica ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  if (!REPLICA_ID.test(replica)) {
    throw new ReplicaIdError(
      `--replica-id: '${replica}' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const manager = new LeaseManager(leases, deps.store, {
    replica,
    ttlMs: opts.ttlMs,
    ...(opts.log && { log: opts.log }),
  });
  await manager.start();
  return manager;
}
