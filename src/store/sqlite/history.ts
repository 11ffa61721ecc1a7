/**
 * History: `events` (what happened to an object, identical consecutive events folded into one
 * with a count, as Kubernetes does) and `runs` (one row per ImageUpdateAutomation run). Both keep
 * their newest rows only, pruned as they grow.
 */
import * as z from "zod/mini";
import { KINDS } from "../../api/types.js";
import { checkJson, checkRow, oneOf, rowShape } from "../row-check.js";
import type {
  EventFilter,
  EventInput,
  EventType,
  RunFilter,
  RunInput,
  RunOutcome,
  StoredEvent,
  StoredRun,
} from "../store.js";
import { type Db, type Params, pruneThrough } from "./database.js";

const eventRow = rowShape(() =>
  z.object({
    id: z.int(),
    kind: z.enum(KINDS),
    namespace: z.string(),
    name: z.string(),
    type: oneOf<EventType>({ Normal: true, Warning: true }),
    reason: z.string(),
    message: z.string(),
    first_at: z.string(),
    last_at: z.string(),
    count: z.int(),
  }),
);

const runRow = rowShape(() =>
  z.object({
    id: z.int(),
    namespace: z.string(),
    name: z.string(),
    started_at: z.string(),
    finished_at: z.string(),
    outcome: oneOf<RunOutcome>({ pushed: true, unchanged: true, failed: true }),
    commit_sha: z.nullable(z.string()),
    branch: z.nullable(z.string()),
    message: z.nullable(z.string()),
    changes: z.string(),
    error: z.nullable(z.string()),
  }),
);

const runChanges = rowShape(() =>
  z.array(z.object({ file: z.string(), setter: z.string(), oldValue: z.string(), newValue: z.string() })),
);

/** Runs belong to automations; the table has no kind column. */
const RUN_KIND = "ImageUpdateAutomation";

export function eventFromRow(raw: unknown): StoredEvent {
  const r = checkRow(eventRow, raw, "events");
  return {
    id: r.id,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    type: r.type,
    reason: r.reason,
    message: r.message,
    firstAt: r.first_at,
    lastAt: r.last_at,
    count: r.count,
  };
}

export function runFromRow(raw: unknown): StoredRun {
  const r = checkRow(runRow, raw, "runs", { kind: RUN_KIND });
  const owner = { kind: RUN_KIND, namespace: r.namespace, name: r.name };
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    ...(r.commit_sha !== null ? { commit: r.commit_sha } : {}),
    ...(r.branch !== null ? { branch: r.branch } : {}),
    ...(r.message !== null ? { message: r.message } : {}),
    changes: checkJson(runChanges, r.changes, "runs", owner, "changes"),
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

/** Equality filters on fixed column names (never user-supplied names, so no injection). */
function whereClause(filter: Record<string, string | undefined>): { where: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  for (const [column, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(value);
  }
  return { where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}

/** Runs inside the store's read or write transaction. */
export class HistoryTables {
  private readonly stmt;

  constructor(
    private readonly db: Db,
    /** Events and runs kept (newest); older rows are pruned. */
    private readonly retention: number,
  ) {
    this.stmt = {
      lastEventOf: db.prepare<[string, string, string], unknown>(
        `SELECT * FROM events WHERE kind = ? AND namespace = ? AND name = ? ORDER BY id DESC LIMIT 1`,
      ),
      bumpEvent: db.prepare<[string, number]>(
        "UPDATE events SET count = count + 1, last_at = ? WHERE id = ?",
      ),
      insertEvent: db.prepare<Params>(
        `INSERT INTO events (kind, namespace, name, type, reason, message, first_at, last_at, count)
         VALUES (@kind, @namespace, @name, @type, @reason, @message, @at, @at, 1)`,
      ),
      pruneEvents: db.prepare<[number]>("DELETE FROM events WHERE id <= ?"),
      insertRun: db.prepare<Params>(
        `INSERT INTO runs (namespace, name, started_at, finished_at, outcome, commit_sha, branch, message,
           changes, error)
         VALUES (@namespace, @name, @startedAt, @finishedAt, @outcome, @commit, @branch, @message,
           @changes, @error)`,
      ),
      pruneRuns: db.prepare<[number]>("DELETE FROM runs WHERE id <= ?"),
    };
  }

  recordEvent(e: EventInput): void {
    const raw = this.stmt.lastEventOf.get(e.kind, e.namespace, e.name);
    const last = raw === undefined ? undefined : eventFromRow(raw);
    if (last && last.type === e.type && last.reason === e.reason && last.message === e.message) {
      this.stmt.bumpEvent.run(e.at, last.id);
      return;
    }
    const id = Number(
      this.stmt.insertEvent.run({
        kind: e.kind,
        namespace: e.namespace,
        name: e.name,
        type: e.type,
        reason: e.reason,
        message: e.message,
        at: e.at,
      }).lastInsertRowid,
    );
    const through = pruneThrough(id, this.retention);
    if (through !== undefined) this.stmt.pruneEvents.run(through);
  }

  /** Newest first. */
  listEvents(filter: EventFilter, limit: number): StoredEvent[] {
    const { where, params } = whereClause({
      kind: filter.kind,
      namespace: filter.namespace,
      name: filter.name,
    });
    return this.db
      .prepare<unknown[], unknown>(`SELECT * FROM events ${where} ORDER BY id DESC LIMIT ?`)
      .all(...params, limit)
      .map(eventFromRow);
  }

  recordRun(run: RunInput): number {
    const id = Number(
      this.stmt.insertRun.run({
        namespace: run.namespace,
        name: run.name,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        outcome: run.outcome,
        commit: run.commit ?? null,
        branch: run.branch ?? null,
        message: run.message ?? null,
        changes: JSON.stringify(run.changes ?? []),
        error: run.error ?? null,
      }).lastInsertRowid,
    );
    const through = pruneThrough(id, this.retention);
    if (through !== undefined) this.stmt.pruneRuns.run(through);
    return id;
  }

  /** Newest first. */
  listRuns(filter: RunFilter, limit: number): StoredRun[] {
    const { where, params } = whereClause({ namespace: filter.namespace, name: filter.name });
    return this.db
      .prepare<unknown[], unknown>(`SELECT * FROM runs ${where} ORDER BY id DESC LIMIT ?`)
      .all(...params, limit)
      .map(runFromRow);
  }
}
