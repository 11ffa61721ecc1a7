/**
 * One daemon per home, race-free: `imagectl serve` holds an exclusive SQLite transaction on
 * `$IMAGECTL_HOME/daemon.lock` for its whole life. SQLite takes it with POSIX advisory locks, so
 * of two daemons started at the same instant exactly one wins, and the kernel drops the lock the
 * moment its holder dies (kill -9 included): a crashed daemon never blocks the next start.
 * `daemon.json` (daemon-info.ts) is only written by the winner, to say who holds the lock.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { type DaemonInfo, readDaemonInfo } from "./daemon-info.js";

export const LOCK_FILE = "daemon.lock";

export class DaemonLockedError extends Error {
  override name = "DaemonLockedError";
  constructor(
    readonly home: string,
    readonly holder: DaemonInfo | undefined,
  ) {
    super(
      holder
        ? `a daemon is already running for ${home} (pid ${holder.pid}, started ${holder.startedAt})`
        : `a daemon is already running for ${home} (it is still starting)`,
    );
  }
}

export interface DaemonLock {
  release(): void;
}

/**
 * Connections holding a lock. Kept here so that a caller that drops the DaemonLock handle cannot
 * lose the lock to the garbage collector (better-sqlite3 closes unreachable connections).
 */
const held = new Set<Database.Database>();

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/** Takes the home's daemon lock or throws DaemonLockedError naming the holder. */
export function acquireDaemonLock(home: string): DaemonLock {
  const db = new Database(join(home, LOCK_FILE), { timeout: 0 });
  try {
    // Rollback journal, not WAL: an EXCLUSIVE transaction then holds the file lock itself.
    db.pragma("journal_mode = DELETE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if (isBusy(err)) throw new DaemonLockedError(home, readDaemonInfo(home));
    throw err;
  }
  held.add(db);
  return {
    release() {
      if (!held.delete(db)) return;
      db.exec("ROLLBACK");
      db.close();
    },
  };
}
