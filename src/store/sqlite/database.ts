/**
 * Opening the state database: an owner-only file, the pragmas every connection needs, the schema
 * brought up to date. Also the two ways every store method touches the file: a plain read, or a
 * write in one IMMEDIATE transaction.
 */
import Database from "better-sqlite3";
import { StoreError } from "../errors.js";
import { prepareDatabaseFile, restrictCompanions } from "./file.js";
import { migrate } from "./migrate.js";
import type { Migration, MigrationContext } from "./migrations.js";

export type Db = Database.Database;

/** Named parameters of a prepared statement. */
export type Params = Record<string, string | number | null>;

/**
 * Opens `file` in WAL mode (so the CLI and a daemon share it), migrates it and hands it to
 * `prepare` (which prepares the statements). Any failure closes the connection and becomes a
 * StoreError naming the file.
 */
export function openDatabase<T>(
  file: string,
  busyTimeoutMs: number,
  migrations: readonly Migration[],
  ctx: MigrationContext,
  prepare: (db: Db) => T,
): T {
  prepareDatabaseFile(file);
  let db: Db;
  try {
    db = new Database(file, { timeout: busyTimeoutMs });
  } catch (err) {
    throw openError(file, err);
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    if (migrate(db, migrations, ctx) > 0) checkpoint(db);
    restrictCompanions(file);
    return prepare(db);
  } catch (err) {
    db.close();
    throw openError(file, err);
  }
}

function openError(file: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError(`open state database ${file}: ${(err as Error).message}`, { cause: err });
}

/**
 * Runs `fn` in one IMMEDIATE transaction: two processes then queue on the write lock (waiting up
 * to `busy_timeout`) instead of failing with SQLITE_BUSY when a read upgrades to a write.
 */
export function writeTransaction<T>(db: Db, op: string, fn: () => T): T {
  return guarded(db, op, () => db.transaction(fn).immediate());
}

export function read<T>(db: Db, op: string, fn: () => T): T {
  return guarded(db, op, fn);
}

/**
 * Runs `fn` with SQLite's secure_delete ON: what it replaces or deletes is zeroed, in the page and
 * in freed pages (overflow pages included), so an old sealed secret (after a key rotation) or a
 * plaintext one (before migration 2) does not linger in free space. Only around secret writes:
 * connection-wide, zeroing every rewritten tag and status row made `run --once` over 1,000
 * repositories ~10% slower, for rows that hold nothing secret. Set outside any transaction.
 */
export function secureDeleting<T>(db: Db, fn: () => T): T {
  const was = Number(db.pragma("secure_delete", { simple: true }));
  db.pragma("secure_delete = ON");
  try {
    return fn();
  } finally {
    db.pragma(`secure_delete = ${was}`);
  }
}

/** Driver errors become StoreErrors naming `op`; the store's own errors pass through. */
function guarded<T>(db: Db, op: string, fn: () => T): T {
  if (!db.open) throw new StoreError(`${op}: the store is closed`);
  try {
    return fn();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`${op}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Copies the WAL into the main file and truncates it, so pages a migration or a re-encryption
 * replaced leave the files now rather than at the next automatic checkpoint. Best effort, and
 * without waiting: while another process reads, SQLite copies what it can and the rest follows at
 * a later checkpoint (TRUNCATE would otherwise wait out the busy timeout for readers).
 */
export function checkpoint(db: Db): void {
  const timeout = Number(db.pragma("busy_timeout", { simple: true }));
  db.pragma("busy_timeout = 0");
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/** Pruning runs on every Nth insert so its cost is spread thin. */
const PRUNE_EVERY = 512;

/**
 * For tables that keep their newest `retention` rows: after inserting row `id`, the id through
 * which to delete, or undefined when this insert does not prune.
 */
export function pruneThrough(id: number, retention: number): number | undefined {
  return id % PRUNE_EVERY === 0 && id > retention ? id - retention : undefined;
}
