import { chmodSync, closeSync, existsSync, openSync, statSync } from "node:fs";

export const FILE_MODE = 0o600;

/**
 * Creates the database file owner-only before SQLite opens it: SQLite would create it with the
 * process umask (usually 0644), and it holds secrets. SQLite gives -wal/-shm the main file's mode.
 */
export function prepareDatabaseFile(file: string): void {
  closeSync(openSync(file, "a", FILE_MODE));
  restrictMode(file);
}

/** Tightens the companion files too, in case an older run or another tool created them looser. */
export function restrictCompanions(file: string): void {
  for (const f of [`${file}-wal`, `${file}-shm`]) {
    if (existsSync(f)) restrictMode(f);
  }
}

function restrictMode(file: string): void {
  if ((statSync(file).mode & 0o777) !== FILE_MODE) chmodSync(file, FILE_MODE);
}
