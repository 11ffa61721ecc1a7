import type Database from "better-sqlite3";
import { SchemaError } from "../errors.js";
import type { Migration, MigrationContext } from "./migrations.js";

function userVersion(db: Database.Database): number {
  return Number(db.pragma("user_version", { simple: true }));
}

/**
 * Brings the file up to the newest schema. Each migration runs in its own IMMEDIATE transaction
 * together with its `user_version` bump, and re-reads the version inside it, so a CLI and a daemon
 * starting at the same moment migrate exactly once and a crash leaves the file at a whole version.
 * Returns how many migrations this call ran.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  ctx: MigrationContext,
): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new SchemaError(`migration ${i + 1} is numbered ${m.version}`);
  });
  const latest = migrations.length;
  const found = userVersion(db);
  if (found > latest) {
    throw new SchemaError(
      `state database schema version ${found} is newer than this imagectl supports (${latest}); upgrade imagectl`,
    );
  }
  let ran = 0;
  for (const m of migrations) {
    if (m.version <= found) continue;
    const step = db.transaction(() => {
      if (userVersion(db) >= m.version) return;
      m.up(db, ctx);
      db.pragma(`user_version = ${m.version}`);
      ran++;
    });
    try {
      step.immediate();
    } catch (err) {
      throw new SchemaError(`migration ${m.version} (${m.description}) failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return ran;
}
