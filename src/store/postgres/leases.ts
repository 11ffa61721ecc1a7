/**
 * Leases on PostgreSQL: which replica reconciles which object, and until when. One row per object
 * (`leases`), claimed by an upsert that wins only when the row is free, expired or already ours;
 * every claim by a new holder draws a new fencing token from a store-wide sequence, so a token
 * names one tenure and a stale holder is told apart from the current one right before a push.
 * All times are the server's `now()`: replicas' clocks never meet.
 *
 * Why row leases and not `FOR UPDATE SKIP LOCKED` or advisory locks: both of those hold a
 * connection (and for SKIP LOCKED, a transaction) for as long as the work lasts, which for an
 * automation is a clone and a push over the network; a replica that is partitioned rather than
 * dead keeps them until TCP notices, minutes later. A row with an expiry needs no connection
 * between statements, bounds failover by the lease period, and survives a store restart (locks
 * do not, so two replicas could run the same object after one).
 *
 * `replicas` holds each replica's heartbeat: the live set decides (by rendezvous hashing, in
 * src/controller/lease-manager.ts) which replica should claim which object.
 */
import type { ObjectId } from "../../api/object-id.js";
import type { Sql } from "./database.js";

export interface LeaseGrant extends ObjectId {
  token: number;
}

export interface LeaseInfo {
  holder: string;
  /** Whether the lease is current (not expired). */
  held: boolean;
  expiresAt: string;
  lastReconciledBy?: string;
  lastReconciledAt?: string;
}

/** Live replicas and held object leases (tasks' leases not counted), for metrics. */
export interface LeaseCounts {
  replicas: number;
  held: number;
}

/**
 * A claim wins when the row is free, expired or already ours; a new holder gets a new token, the
 * same holder keeps its token and extends the expiry.
 */
const CLAIM_RULE = `ON CONFLICT (kind, namespace, name) DO UPDATE
         SET token = CASE WHEN l.holder = excluded.holder AND l.expires_at > now()
                          THEN l.token ELSE excluded.token END,
             holder = excluded.holder,
             expires_at = excluded.expires_at
         WHERE l.expires_at <= now() OR l.holder = excluded.holder`;

/**
 * Store-wide tasks (the fact cache's sweep) lease a row of this kind, which no object has: one
 * replica at a time runs each, and the row's `last_reconciled_at` says when it last completed.
 */
const TASK_KIND = "imagectl.io/task";

/** The lease of a store-wide task, as claimed. */
export interface TaskGrant {
  token: number;
  /** Milliseconds since the task last completed on any replica (the server's clock); absent if never. */
  sinceDoneMs?: number;
}

function interval(ms: number): string {
  return `${Math.max(0, Math.round(ms))} milliseconds`;
}

function arrays(keys: readonly ObjectId[]): [string[], string[], string[]] {
  return [keys.map((k) => k.kind), keys.map((k) => k.namespace), keys.map((k) => k.name)];
}

function grants(rows: unknown[]): LeaseGrant[] {
  return (rows as { kind: ObjectId["kind"]; namespace: string; name: string; token: number }[]).map((r) => ({
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    token: Number(r.token),
  }));
}

/** `last_reconciled_*` of a lease row, only while `holder` holds it under `token`. */
async function mark(sql: Sql, row: [string, string, string, string, number]): Promise<void> {
  await sql.rows(
    `UPDATE leases SET last_reconciled_by = holder, last_reconciled_at = now()
     WHERE kind = $1 AND namespace = $2 AND name = $3 AND holder = $4 AND token = $5`,
    row,
  );
}

export class LeaseTable {
  /** Records this replica as alive for `ttlMs`; returns the ids of all live replicas, sorted. */
  async heartbeat(sql: Sql, replica: string, ttlMs: number): Promise<string[]> {
    await sql.rows(
      `INSERT INTO replicas (id, started_at, seen_at, expires_at) VALUES ($1, now(), now(), now() + $2::interval)
       ON CONFLICT (id) DO UPDATE SET seen_at = now(), expires_at = excluded.expires_at`,
      [replica, interval(ttlMs)],
    );
    // Replicas gone for a day are forgotten (their ids are never reused).
    await sql.rows("DELETE FROM replicas WHERE expires_at < now() - interval '1 day'");
    const rows = await sql.rows("SELECT id FROM replicas WHERE expires_at > now() ORDER BY id");
    return (rows as { id: string }[]).map((r) => r.id);
  }

  /** Marks the replica gone at once (clean shutdown), so the others take its work without waiting. */
  async leave(sql: Sql, replica: string): Promise<void> {
    await sql.rows("UPDATE leases SET expires_at = now() WHERE holder = $1 AND expires_at > now()", [
      replica,
    ]);
    await sql.rows("UPDATE replicas SET expires_at = now() WHERE id = $1", [replica]);
  }

  /** Claims each key that is free, expired or already ours; returns what this replica now holds. */
  async acquire(sql: Sql, holder: string, keys: readonly ObjectId[], ttlMs: number): Promise<LeaseGrant[]> {
    if (keys.length === 0) return [];
    const rows = await sql.rows(
      `INSERT INTO leases AS l (kind, namespace, name, holder, token, expires_at)
       SELECT k, n, m, $4, nextval('lease_tokens'), now() + $5::interval
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(k, n, m)
       ${CLAIM_RULE}
       RETURNING kind, namespace, name, token`,
      [...arrays(keys), holder, interval(ttlMs)],
    );
    return grants(rows);
  }

  /**
   * Extends every current lease of `holder` on an object that still exists; returns them. A lease
   * missing from the answer was lost (expired and maybe taken) or its object deleted.
   */
  async renew(sql: Sql, holder: string, ttlMs: number): Promise<LeaseGrant[]> {
    const rows = await sql.rows(
      `UPDATE leases l SET expires_at = now() + $2::interval
       WHERE l.holder = $1 AND l.expires_at > now()
         AND EXISTS (SELECT 1 FROM objects o WHERE o.kind = l.kind AND o.namespace = l.namespace AND o.name = l.name)
       RETURNING kind, namespace, name, token`,
      [holder, interval(ttlMs)],
    );
    return grants(rows);
  }

  /** Gives up leases so another replica can claim them at once. */
  async release(sql: Sql, holder: string, keys: readonly ObjectId[]): Promise<void> {
    if (keys.length === 0) return;
    await sql.rows(
      `UPDATE leases l SET expires_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(k, n, m)
       WHERE l.kind = u.k AND l.namespace = u.n AND l.name = u.m AND l.holder = $4 AND l.expires_at > now()`,
      [...arrays(keys), holder],
    );
  }

  /**
   * The fencing check: true when `holder` still holds `key` under `token`, extending the lease by
   * `ttlMs` so it cannot lapse during the step the check guards.
   */
  async confirm(sql: Sql, holder: string, key: ObjectId, token: number, ttlMs: number): Promise<boolean> {
    const n = await sql.count(
      `UPDATE leases SET expires_at = greatest(expires_at, now() + $6::interval)
       WHERE kind = $1 AND namespace = $2 AND name = $3 AND holder = $4 AND token = $5 AND expires_at > now()`,
      [key.kind, key.namespace, key.name, holder, token, interval(ttlMs)],
    );
    return n === 1;
  }

  /** Notes who reconciled `key` last (shown by `get`), if it still holds the lease. */
  async markReconciled(sql: Sql, holder: string, key: ObjectId, token: number): Promise<void> {
    await mark(sql, [key.kind, key.namespace, key.name, holder, token]);
  }

  /**
   * Claims (or, when ours, extends) the lease of the store-wide task `task`; undefined when
   * another replica holds it. Also says when the task last completed, so that a new holder keeps
   * the schedule instead of starting over.
   */
  async claimTask(sql: Sql, holder: string, task: string, ttlMs: number): Promise<TaskGrant | undefined> {
    const [row] = await sql.rows(
      `INSERT INTO leases AS l (kind, namespace, name, holder, token, expires_at)
       VALUES ($1, '', $2, $3, nextval('lease_tokens'), now() + $4::interval)
       ${CLAIM_RULE}
       RETURNING token, (extract(epoch FROM now() - l.last_reconciled_at) * 1000)::float8 AS since_done_ms`,
      [TASK_KIND, task, holder, interval(ttlMs)],
    );
    if (row === undefined) return undefined;
    const r = row as { token: string | number; since_done_ms: number | null };
    return { token: Number(r.token), ...(r.since_done_ms !== null ? { sinceDoneMs: r.since_done_ms } : {}) };
  }

  /** Notes that `task` completed, if `holder` still holds it under `token`. */
  async markTaskDone(sql: Sql, holder: string, task: string, token: number): Promise<void> {
    await mark(sql, [TASK_KIND, "", task, holder, token]);
  }

  async info(sql: Sql, key: ObjectId): Promise<LeaseInfo | undefined> {
    const [row] = await sql.rows(
      `SELECT holder, expires_at > now() AS held,
              to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at,
              last_reconciled_by,
              to_char(last_reconciled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_reconciled_at
       FROM leases WHERE kind = $1 AND namespace = $2 AND name = $3`,
      [key.kind, key.namespace, key.name],
    );
    if (row === undefined) return undefined;
    const r = row as {
      holder: string;
      held: boolean;
      expires_at: string;
      last_reconciled_by: string | null;
      last_reconciled_at: string | null;
    };
    return {
      holder: r.holder,
      held: r.held,
      expiresAt: r.expires_at,
      ...(r.last_reconciled_by !== null ? { lastReconciledBy: r.last_reconciled_by } : {}),
      ...(r.last_reconciled_at !== null ? { lastReconciledAt: r.last_reconciled_at } : {}),
    };
  }

  /** Who last reconciled each object of `kind` (for `get` tables). */
  async reconciledBy(sql: Sql, kind: string): Promise<Map<string, string>> {
    const rows = await sql.rows(
      "SELECT namespace, name, last_reconciled_by FROM leases WHERE kind = $1 AND last_reconciled_by IS NOT NULL",
      [kind],
    );
    const out = new Map<string, string>();
    for (const r of rows as { namespace: string; name: string; last_reconciled_by: string }[]) {
      out.set(`${r.namespace}/${r.name}`, r.last_reconciled_by);
    }
    return out;
  }

  async counts(sql: Sql): Promise<LeaseCounts> {
    const [row] = await sql.rows(
      `SELECT (SELECT count(*) FROM replicas WHERE expires_at > now())::integer AS replicas,
              (SELECT count(*) FROM leases WHERE expires_at > now() AND kind <> $1)::integer AS held`,
      [TASK_KIND],
    );
    return row as LeaseCounts;
  }
}

/** The lease operations a replica uses, each one statement (src/controller/lease-manager.ts). */
export interface LeaseStore {
  heartbeat(replica: string, ttlMs: number): Promise<string[]>;
  leave(replica: string): Promise<void>;
  acquire(holder: string, keys: readonly ObjectId[], ttlMs: number): Promise<LeaseGrant[]>;
  renew(holder: string, ttlMs: number): Promise<LeaseGrant[]>;
  release(holder: string, keys: readonly ObjectId[]): Promise<void>;
  confirm(holder: string, key: ObjectId, token: number, ttlMs: number): Promise<boolean>;
  markReconciled(holder: string, key: ObjectId, token: number): Promise<void>;
  claimTask(holder: string, task: string, ttlMs: number): Promise<TaskGrant | undefined>;
  markTaskDone(holder: string, task: string, token: number): Promise<void>;
  info(key: ObjectId): Promise<LeaseInfo | undefined>;
  reconciledBy(kind: string): Promise<Map<string, string>>;
  counts(): Promise<LeaseCounts>;
}
