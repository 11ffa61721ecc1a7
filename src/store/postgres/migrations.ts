import type { Sql } from "./database.js";

export interface PgMigration {
  /** Consecutive from 1; recorded in `schema_migrations`. */
  version: number;
  description: string;
  up(sql: Sql): Promise<void>;
}

/**
 * Ordered schema history of the PostgreSQL store. Never edit a released migration: append.
 *
 * The tables mirror the SQLite schema (sqlite/migrations.ts, whose design notes apply), with:
 * - text columns that name objects and tags in the "C" collation, so lists sort by bytes as
 *   SQLite's do, whatever the database's default collation;
 * - JSON kept as text, not jsonb: the row checks read exactly what was written (jsonb would
 *   reorder keys and drop duplicates), and the store never queries inside it;
 * - secrets sealed from the first write (SQLite's migration 2 sealed older plaintext; here there
 *   never was any), so SQLite's versions 1 and 2 are this version 1;
 * - `changes.resource_version` from an identity column. Writers take the feed lock (changes.ts)
 *   first, so numbers are handed out in commit order and a reader never skips a late commit.
 *
 * Version 2 is PostgreSQL's own: leases and the replicas that hold them (leases.ts). Migrations
 * ported from SQLite later take the next free numbers here.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: "initial schema",
    async up(sql) {
      await sql.rows(`
        CREATE TABLE objects (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          kind text COLLATE "C" NOT NULL,
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          api_version text NOT NULL,
          labels text,
          annotations text,
          spec text NOT NULL,
          generation bigint NOT NULL,
          created_at text NOT NULL,
          resource_version bigint NOT NULL,
          UNIQUE (kind, namespace, name)
        );
        CREATE TABLE object_status (
          object_id bigint PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
          status text NOT NULL
        );
        CREATE TABLE repository_tags (
          object_id bigint PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
          tags text NOT NULL,
          tag_count bigint NOT NULL,
          revision text NOT NULL,
          scan_time text NOT NULL
        );
        CREATE TABLE repository_digests (
          object_id bigint NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
          tag text COLLATE "C" NOT NULL,
          digest text NOT NULL,
          PRIMARY KEY (object_id, tag)
        );
        CREATE TABLE secrets (
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          type text NOT NULL,
          data text NOT NULL,
          created_at text NOT NULL,
          updated_at text NOT NULL,
          PRIMARY KEY (namespace, name)
        );
        CREATE TABLE events (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          kind text COLLATE "C" NOT NULL,
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          type text NOT NULL,
          reason text NOT NULL,
          message text NOT NULL,
          first_at text NOT NULL,
          last_at text NOT NULL,
          count bigint NOT NULL
        );
        CREATE INDEX events_by_object ON events (kind, namespace, name, id);
        CREATE TABLE runs (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          started_at text NOT NULL,
          finished_at text NOT NULL,
          outcome text NOT NULL,
          commit_sha text,
          branch text,
          message text,
          changes text NOT NULL,
          error text
        );
        CREATE INDEX runs_by_object ON runs (namespace, name, id);
        CREATE TABLE changes (
          resource_version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          kind text COLLATE "C" NOT NULL,
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          type text NOT NULL,
          generation bigint NOT NULL
        );
        CREATE TABLE store_meta (
          key text PRIMARY KEY,
          value text NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    description: "leases and replicas",
    async up(sql) {
      await sql.rows(`
        CREATE TABLE replicas (
          id text PRIMARY KEY,
          started_at timestamptz NOT NULL,
          seen_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL
        );
        CREATE SEQUENCE lease_tokens;
        CREATE TABLE leases (
          kind text COLLATE "C" NOT NULL,
          namespace text COLLATE "C" NOT NULL,
          name text COLLATE "C" NOT NULL,
          holder text NOT NULL,
          token bigint NOT NULL,
          expires_at timestamptz NOT NULL,
          last_reconciled_by text,
          last_reconciled_at timestamptz,
          PRIMARY KEY (kind, namespace, name)
        );
        CREATE INDEX leases_by_holder ON leases (holder);
      `);
    },
  },
  {
    version: 3,
    description: "per-digest facts for fact-based selection (SQLite's version 4)",
    async up(sql) {
      await sql.rows(`
        CREATE TABLE digest_facts (
          image text COLLATE "C" NOT NULL,
          digest text COLLATE "C" NOT NULL,
          fact text COLLATE "C" NOT NULL,
          value text NOT NULL,
          checked_at text NOT NULL,
          PRIMARY KEY (image, digest, fact)
        );
        ALTER TABLE repository_digests ADD COLUMN scan_time text;
      `);
    },
  },
  {
    version: 4,
    description: "pruning of per-digest facts (SQLite's version 5)",
    async up(sql) {
      await sql.rows(`
        CREATE INDEX repository_digests_by_digest ON repository_digests (digest);
        ALTER TABLE digest_facts ADD COLUMN unreferenced_since text;
      `);
    },
  },
];
