import type pg from "pg";
import { SchemaError } from "../errors.js";
import { type Database, storeError } from "./database.js";
import type { PgMigration } from "./migrations.js";

/**
 * Session advisory lock held while migrating: of several replicas starting at once, one migrates
 * and the others wait, then find the schema current. ('imagectl' as a number, so other software
 * sharing the database is unlikely to pick the same key.)
 */
const MIGRATION_LOCK = 0x696d616765637431n;

/**
 * Brings the database up to the newest schema, each migration in its own transaction with its
 * row in `schema_migrations`. Returns how many migrations this call ran.
 */
export async function migrate(db: Database, migrations: readonly PgMigration[]): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new SchemaError(`migration ${i + 1} is numbered ${m.version}`);
  });
  const latest = migrations.length;
  let client: pg.PoolClient;
  try {
    client = await db.pool.connect();
  } catch (err) {
    throw storeError(`open PostgreSQL store ${db.location.display}`, err);
  }
  let ran = 0;
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const res = await client.query("SELECT coalesce(max(version), 0)::integer AS v FROM schema_migrations");
      const found = Number((res.rows[0] as { v: number }).v);
      if (found > latest) {
        throw new SchemaError(
          `PostgreSQL store ${db.location.display} has schema version ${found}, newer than this imagectl supports (${latest}); upgrade imagectl`,
        );
      }
      for (const m of migrations) {
        if (m.version <= found) continue;
        try {
          await client.query("BEGIN");
          await m.up({
            rows: async (text, params = []) => (await client.query(text, params as unknown[])).rows,
            count: async (text, params = []) => (await client.query(text, params as unknown[])).rowCount ?? 0,
          });
          await client.query("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", [
            m.version,
            m.description,
          ]);
          await client.query("COMMIT");
          ran++;
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {
            broken = true;
          });
          throw new SchemaError(
            `migration ${m.version} (${m.description}) failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]).catch(() => {
        broken = true;
      });
    }
  } catch (err) {
    if (err instanceof SchemaError) throw err;
    throw storeError(`migrate PostgreSQL store ${db.location.display}`, err);
  } finally {
    client.release(broken);
  }
  return ran;
}
