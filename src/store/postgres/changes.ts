/**
 * The change feed on PostgreSQL: the `changes` table, whose identity column is the store-wide
 * resourceVersion, and the pruning mark in `store_meta` (as sqlite/changes.ts).
 *
 * Numbers from a sequence are handed out in call order but become visible in commit order, so a
 * reader asking for `> since` could see 11 before 10 commits and never see 10. Every object write
 * therefore takes a transaction-level advisory lock (the feed lock) before its first statement:
 * writers queue, numbers are handed out and committed in the same order, and `> since` misses
 * nothing. Object writes are small and SQLite serialises all writes anyway; tags, digests,
 * secrets, events and runs are not object changes and do not take the lock.
 *
 * Replicas follow the feed by polling `changesSince` (the daemon's --poll, 500 ms): an indexed
 * range read that answers from memory. LISTEN/NOTIFY would need one more connection per replica
 * held outside the pool, loses what is sent while that connection is down (so polling would be
 * needed anyway to catch up), and would save at most one poll period.
 */
import { CorruptRowError } from "../errors.js";
import { checkRow } from "../row-check.js";
import { changeRow, PRUNED_THROUGH_KEY } from "../sqlite/changes.js";
import { pruneThrough } from "../sqlite/database.js";
import type { Change, ChangeBatch, ChangeType } from "../store.js";
import type { Sql } from "./database.js";

/** Key of the transaction-level advisory lock every object write takes first ('feed'). */
const FEED_LOCK = 0x66656564;

export async function lockFeed(sql: Sql): Promise<void> {
  await sql.rows("SELECT pg_advisory_xact_lock($1)", [FEED_LOCK]);
}

export class ChangeFeed {
  constructor(
    /** Rows kept; older ones are pruned and a consumer that far behind must re-list. */
    private readonly retention: number,
  ) {}

  /** Appends a change inside the caller's write, which holds the feed lock. */
  async record(
    sql: Sql,
    key: { kind: string; namespace: string; name: string },
    type: ChangeType,
    generation: number,
  ): Promise<number> {
    const [row] = await sql.rows(
      `INSERT INTO changes (kind, namespace, name, type, generation) VALUES ($1, $2, $3, $4, $5)
       RETURNING resource_version AS rv`,
      [key.kind, key.namespace, key.name, type, generation],
    );
    const rv = (row as { rv: number }).rv;
    const through = pruneThrough(rv, this.retention);
    if (through !== undefined) {
      await sql.rows("DELETE FROM changes WHERE resource_version <= $1", [through]);
      await sql.rows(
        `INSERT INTO store_meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [PRUNED_THROUGH_KEY, String(through)],
      );
    }
    return rv;
  }

  /** The latest resourceVersion, which pruning never lowers. One statement: one snapshot. */
  async latest(sql: Sql): Promise<number> {
    const [row] = await sql.rows(
      `SELECT coalesce((SELECT max(resource_version) FROM changes), 0) AS max,
              (SELECT value FROM store_meta WHERE key = $1) AS pruned`,
      [PRUNED_THROUGH_KEY],
    );
    const r = row as { max: number; pruned: string | null };
    return Math.max(r.max, prunedValue(r.pruned));
  }

  /** Runs in a REPEATABLE READ transaction, so the batch and the pruning mark agree. */
  async since(sql: Sql, since: number, limit: number): Promise<ChangeBatch> {
    const [meta] = await sql.rows("SELECT value FROM store_meta WHERE key = $1", [PRUNED_THROUGH_KEY]);
    const pruned = prunedValue((meta as { value: string } | undefined)?.value ?? null);
    if (since < pruned) return { resourceVersion: await this.latest(sql), changed: [], expired: true };
    const rows = await sql.rows(
      `SELECT resource_version AS "resourceVersion", kind, namespace, name, type, generation
       FROM changes WHERE resource_version > $1 ORDER BY resource_version LIMIT $2`,
      [since, limit],
    );
    const changed: Change[] = rows.map((raw) => {
      const c = checkRow(changeRow, raw, "changes");
      return { ...c, deleted: c.type === "deleted" };
    });
    const last = changed.at(-1);
    return { resourceVersion: last ? last.resourceVersion : since, changed, expired: false };
  }
}

function prunedValue(text: string | null): number {
  const value = Number(text ?? 0);
  // NaN would make every `since` look current and the feed silently skip what was pruned.
  if (!Number.isSafeInteger(value)) {
    throw new CorruptRowError("store_meta", `key '${PRUNED_THROUGH_KEY}'`, "value", "expected an integer");
  }
  return value;
}
