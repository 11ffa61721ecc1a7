import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SchemaError } from "../../src/store/index.js";
import { MIGRATIONS, type Migration } from "../../src/store/sqlite/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { repo } from "./contract.js";
import { tempDir } from "./support/temp.js";

function pragma(file: string, name: string): unknown {
  const db = new Database(file);
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

const addNotes: Migration = {
  version: MIGRATIONS.length + 1,
  description: "add notes to objects",
  up(db) {
    db.exec("ALTER TABLE objects ADD COLUMN notes TEXT NOT NULL DEFAULT 'none'");
  },
};

describe("SQLite schema and migrations", () => {
  let tmp: ReturnType<typeof tempDir>;
  const file = () => join(tmp.dir, "state.db");
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it("creates a new file at the latest schema version in WAL mode", async () => {
    const store = await openSqliteStore(file());
    await store.close();
    expect(pragma(file(), "user_version")).toBe(MIGRATIONS.length);
    expect(pragma(file(), "journal_mode")).toBe("wal");
  });

  it("migrates an existing version-0 database (an empty SQLite file)", async () => {
    const raw = new Database(file());
    raw.exec("CREATE TABLE unrelated (x)");
    raw.close();
    const store = await openSqliteStore(file());
    try {
      await store.apply([repo("app", "ghcr.io/org/app")]);
      expect(await store.get("ImageRepository", "flux-system", "app")).toBeDefined();
    } finally {
      await store.close();
    }
    expect(pragma(file(), "user_version")).toBe(MIGRATIONS.length);
  });

  it("upgrades an older-version file and keeps its data", async () => {
    const old = await openSqliteStore(file());
    await old.apply([repo("app", "ghcr.io/org/app")]);
    await old.putTags("flux-system", "app", ["1.0.0"], { revision: "r", scanTime: "t" });
    await old.close();

    const store = await openSqliteStore(file(), { migrations: [...MIGRATIONS, addNotes] });
    try {
      expect((await store.getTags("flux-system", "app"))?.tags).toEqual(["1.0.0"]);
      expect((await store.mustGet("ImageRepository", "flux-system", "app")).spec.image).toBe(
        "ghcr.io/org/app",
      );
    } finally {
      await store.close();
    }
    expect(pragma(file(), "user_version")).toBe(addNotes.version);
    const db = new Database(file());
    try {
      expect(db.prepare("SELECT notes FROM objects").pluck().get()).toBe("none");
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back completely and names it", async () => {
    await (await openSqliteStore(file())).close();
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      description: "half-done change",
      up(db) {
        db.exec("CREATE TABLE half (x)");
        throw new Error("boom");
      },
    };
    await expect(openSqliteStore(file(), { migrations: [...MIGRATIONS, broken] })).rejects.toThrow(
      `migration ${broken.version} (half-done change) failed: boom`,
    );
    expect(pragma(file(), "user_version")).toBe(MIGRATIONS.length);
    const db = new Database(file());
    try {
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it("refuses a file written by a newer imagectl", async () => {
    await (await openSqliteStore(file())).close();
    const db = new Database(file());
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    const err = await openSqliteStore(file()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as Error).message).toContain("newer than this imagectl supports");
  });
});

describe("SQLite change-feed retention", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it("tells a consumer that fell behind the pruned feed to re-list", async () => {
    const store = await openSqliteStore(join(tmp.dir, "state.db"), { changeRetention: 100 });
    try {
      const docs = Array.from({ length: 600 }, (_, i) => repo(`r${i}`, `x/r${i}`));
      await store.apply(docs);
      const stale = await store.changesSince(0);
      expect(stale.expired).toBe(true);
      const current = await store.currentResourceVersion();
      expect(stale.resourceVersion).toBe(current);
      const fresh = await store.changesSince(current - 50);
      expect(fresh.expired).toBe(false);
      expect(fresh.changed).toHaveLength(50);
    } finally {
      await store.close();
    }
  });
});
