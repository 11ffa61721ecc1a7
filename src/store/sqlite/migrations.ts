import type Database from "better-sqlite3";
import { secureDeleting } from "./database.js";

/** What a data migration needs besides the database. */
export interface MigrationContext {
  /** Seals the secrets still stored as plaintext; returns how many it sealed. */
  sealPlaintextSecrets(db: Database.Database): number;
}

export interface Migration {
  /** Consecutive from 1; stored in SQLite's `user_version`. */
  version: number;
  description: string;
  up(db: Database.Database, ctx: MigrationContext): void;
}

/**
 * Ordered schema history. Never edit a released migration: append a new one.
 *
 * Design notes:
 * - status lives in its own table so a status write never rewrites (or races with) the spec;
 * - tags are one JSON blob per ImageRepository, keyed by the object's row id (so two objects with
 *   different credentials never share tags, and deleting the object drops them). A blob measured
 *   2-4x faster than `PRIMARY KEY(object_id, tag) WITHOUT ROWID` rows for both 1,000 repos x 100
 *   tags and one repo with 50,000 tags, and the reconcilers only ever need the whole set;
 * - `changes` is the change feed: its AUTOINCREMENT key is the store-wide resourceVersion;
 * - secret data is sealed (docs/secrets-at-rest.md) from version 2 on. A version, not a pass on
 *   every open, so that an older imagectl refuses the file ("upgrade imagectl") instead of taking
 *   sealed text for damaged JSON or writing plaintext beside it, and so that plaintext found later
 *   is reported as damage, not quietly accepted as a secret.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "initial schema",
    up(db) {
      db.exec(`
        CREATE TABLE objects (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL,
          namespace TEXT NOT NULL,
          name TEXT NOT NULL,
          api_version TEXT NOT NULL,
          labels TEXT,
          annotations TEXT,
          spec TEXT NOT NULL,
          generation INTEGER NOT NULL,
          created_at TEXT NOT NULL,
          resource_version INTEGER NOT NULL,
          UNIQUE (kind, namespace, name)
        );
        CREATE TABLE object_status (
          object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
          status TEXT NOT NULL
        );
        CREATE TABLE repository_tags (
          object_id INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
          tags TEXT NOT NULL,
          tag_count INTEGER NOT NULL,
          revision TEXT NOT NULL,
          scan_time TEXT NOT NULL
        );
        CREATE TABLE repository_digests (
          object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
          tag TEXT NOT NULL,
          digest TEXT NOT NULL,
          PRIMARY KEY (object_id, tag)
        ) WITHOUT ROWID;
        CREATE TABLE secrets (
          namespace TEXT NOT NULL,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          data TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          PRIMARY KEY (namespace, name)
        ) WITHOUT ROWID;
        CREATE TABLE events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          namespace TEXT NOT NULL,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          reason TEXT NOT NULL,
          message TEXT NOT NULL,
          first_at TEXT NOT NULL,
          last_at TEXT NOT NULL,
          count INTEGER NOT NULL
        );
        CREATE INDEX events_by_object ON events (kind, namespace, name, id);
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          namespace TEXT NOT NULL,
          name TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT NOT NULL,
          outcome TEXT NOT NULL,
          commit_sha TEXT,
          branch TEXT,
          message TEXT,
          changes TEXT NOT NULL,
          error TEXT
        );
        CREATE INDEX runs_by_object ON runs (namespace, name, id);
        CREATE TABLE changes (
          resource_version INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          namespace TEXT NOT NULL,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          generation INTEGER NOT NULL
        );
        CREATE TABLE store_meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: "encrypt secret data at rest",
    up(db, ctx) {
      // No plaintext may stay in the freed space of the rewritten pages. The old pages leave the
      // main file at the checkpoint openDatabase runs after migrating.
      secureDeleting(db, () => ctx.sealPlaintextSecrets(db));
    },
  },
  {
    // RESERVED for another change's migration 3 (numbers are handed out by the coordinator);
    // whoever merges replaces this entry with it. It changes nothing.
    version: 3,
    description: "reserved",
    up() {},
  },
  {
    version: 4,
    description: "per-digest facts for fact-based selection (created time, signature verdicts)",
    up(db) {
      // Facts about content, keyed by the canonical image name and the digest, so that a rescan
      // only reads digests never seen before; `fact` names what was found out ('created', or
      // 'cosign:' + the keys' fingerprint, since a verdict holds only for the keys it was made with).
      // repository_digests.scan_time says after which scan a tag's digest was resolved, so a tag
      // pushed again under the same name is read again after the next scan.
      db.exec(`
        CREATE TABLE digest_facts (
          image TEXT NOT NULL,
          digest TEXT NOT NULL,
          fact TEXT NOT NULL,
          value TEXT NOT NULL,
          checked_at TEXT NOT NULL,
          PRIMARY KEY (image, digest, fact)
        ) WITHOUT ROWID;
        ALTER TABLE repository_digests ADD COLUMN scan_time TEXT;
      `);
    },
  },
  {
    version: 5,
    description: "pruning of per-digest facts",
    up(db) {
      // A pruning batch asks which repositories still resolve each digest (an index instead of a
      // scan of every repository's digests), and marks a fact's row with the time its digest was
      // first found unreferenced, so it goes only after staying so for the retention
      // (src/store/digest-fact-prune.ts).
      db.exec(`
        CREATE INDEX repository_digests_by_digest ON repository_digests (digest);
        ALTER TABLE digest_facts ADD COLUMN unreferenced_since TEXT;
      `);
    },
  },
];
