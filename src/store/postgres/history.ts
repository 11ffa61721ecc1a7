/**
 * History on PostgreSQL: `events` (identical consecutive events folded into one with a count) and
 * `runs`, both pruned to their newest rows, as sqlite/history.ts, whose row checks are shared.
 */
import { pruneThrough } from "../sqlite/database.js";
import { eventFromRow, runFromRow } from "../sqlite/history.js";
import type { EventFilter, EventInput, RunFilter, RunInput, StoredEvent, StoredRun } from "../store.js";
import type { Sql } from "./database.js";

/** Equality filters on fixed column names (never user-supplied names, so no injection). */
function whereClause(filter: Record<string, string | undefined>): { where: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const [column, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    params.push(value);
    parts.push(`${column} = $${params.length}`);
  }
  return { where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}

/** Events of one object are folded under a per-object advisory lock ('evnt' + hash of the key). */
const EVENT_LOCK = 0x65766e74;

export class HistoryTables {
  constructor(
    /** Events and runs kept (newest); older rows are pruned. */
    private readonly retention: number,
  ) {}

  /** In the caller's transaction. */
  async recordEvent(sql: Sql, e: EventInput): Promise<void> {
    // Two replicas recording for one object at once must not both insert what one would fold.
    await sql.rows("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
      EVENT_LOCK,
      `${e.kind}/${e.namespace}/${e.name}`,
    ]);
    const [raw] = await sql.rows(
      "SELECT * FROM events WHERE kind = $1 AND namespace = $2 AND name = $3 ORDER BY id DESC LIMIT 1",
      [e.kind, e.namespace, e.name],
    );
    const last = raw === undefined ? undefined : eventFromRow(raw);
    if (last && last.type === e.type && last.reason === e.reason && last.message === e.message) {
      await sql.rows("UPDATE events SET count = count + 1, last_at = $1 WHERE id = $2", [e.at, last.id]);
      return;
    }
    const [row] = await sql.rows(
      `INSERT INTO events (kind, namespace, name, type, reason, message, first_at, last_at, count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) RETURNING id`,
      [e.kind, e.namespace, e.name, e.type, e.reason, e.message, e.at],
    );
    const through = pruneThrough((row as { id: number }).id, this.retention);
    if (through !== undefined) await sql.rows("DELETE FROM events WHERE id <= $1", [through]);
  }

  /** Newest first. */
  async listEvents(sql: Sql, filter: EventFilter, limit: number): Promise<StoredEvent[]> {
    const { where, params } = whereClause({
      kind: filter.kind,
      namespace: filter.namespace,
      name: filter.name,
    });
    const rows = await sql.rows(
      `SELECT * FROM events ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
      [...params, limit],
    );
    return rows.map(eventFromRow);
  }

  async recordRun(sql: Sql, run: RunInput): Promise<number> {
    const [row] = await sql.rows(
      `INSERT INTO runs (namespace, name, started_at, finished_at, outcome, commit_sha, branch, message,
         changes, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        run.namespace,
        run.name,
        run.startedAt,
        run.finishedAt,
        run.outcome,
        run.commit ?? null,
        run.branch ?? null,
        run.message ?? null,
        JSON.stringify(run.changes ?? []),
        run.error ?? null,
      ],
    );
    const id = (row as { id: number }).id;
    const through = pruneThrough(id, this.retention);
    if (through !== undefined) await sql.rows("DELETE FROM runs WHERE id <= $1", [through]);
    return id;
  }

  /** Newest first. */
  async listRuns(sql: Sql, filter: RunFilter, limit: number): Promise<StoredRun[]> {
    const { where, params } = whereClause({ namespace: filter.namespace, name: filter.name });
    const rows = await sql.rows(`SELECT * FROM runs ${where} ORDER BY id DESC LIMIT $${params.length + 1}`, [
      ...params,
      limit,
    ]);
    return rows.map(runFromRow);
  }
}
