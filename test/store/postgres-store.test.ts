/**
 * What only the PostgreSQL backend has to show (the shared behaviour is postgres-contract.test.ts):
 * several processes' pools on one database, migrations racing, secrets sealed at rest with a key
 * from the environment, rows checked when read back, the server crashing under the store, leases.
 */
import { describe, expect, it } from "vitest";
import { CorruptRowError, SchemaError, SecretsKeyError, StoreError } from "../../src/store/index.js";
import { PG_MIGRATIONS } from "../../src/store/postgres/migrations.js";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import type { TestPostgres } from "../support/postgres.js";
import { repo as contractRepo } from "./contract.js";
import { postgresForFile } from "./support/postgres-server.js";

const KEY = Buffer.alloc(32, 9).toString("base64");
const env = { IMAGECTL_SECRETS_KEY: KEY };

let server: TestPostgres;
postgresForFile((s) => {
  server = s;
});

/** ImageRepository `name` of ghcr.io/org/`name`. */
const repo = (name: string) => contractRepo(name, `ghcr.io/org/${name}`);

async function open(db: string, extra: { env?: NodeJS.ProcessEnv; statementTimeoutMs?: number } = {}) {
  return openPostgresStore(parsePostgresUrl(server.url(db), {}), { env, ...extra });
}

async function withStores<T>(db: string, n: number, fn: (stores: PostgresStore[]) => Promise<T>): Promise<T> {
  const stores = await Promise.all(Array.from({ length: n }, () => open(db)));
  try {
    return await fn(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

describe("PostgreSQL store", () => {
  it("migrates once when several replicas start at the same moment", async () => {
    const db = await server.createDatabase();
    await withStores(db, 6, async ([first]) => {
      expect(await first!.list("ImageRepository")).toEqual([]);
    });
    const rows = await server.query("SELECT version FROM schema_migrations ORDER BY version", db);
    expect(rows.rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });

  it("refuses a database migrated by a newer imagectl", async () => {
    const db = await server.createDatabase();
    await (await open(db)).close();
    await server.query("INSERT INTO schema_migrations (version, description) VALUES (99, 'future')", db);
    const err = await open(db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as Error).message).toContain(
      `schema version 99, newer than this imagectl supports (${PG_MIGRATIONS.length}); upgrade`,
    );
  });

  it("names the server when it cannot connect, and holds no password in the message", async () => {
    const loc = parsePostgresUrl(`postgres://postgres@127.0.0.1:${server.port + 1}/x`, {
      PGPASSWORD: "pw-77",
    });
    const err = await openPostgresStore(loc, { env, connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(
      `open PostgreSQL store postgres://postgres@127.0.0.1:${server.port + 1}/x`,
    );
    expect((err as Error).message).not.toContain("pw-77");
  });

  it("seals secrets with the key from the environment and refuses them without one", async () => {
    const db = await server.createDatabase();
    const store = await open(db);
    try {
      await store.putSecret("flux-system", "creds", { data: { password: "s3cr3t-value" } });
      const raw = await server.query("SELECT data FROM secrets", db);
      expect(raw.rows[0].data).toMatch(/^v1:[0-9a-f]{16}:/);
      expect(raw.rows[0].data).not.toContain("s3cr3t-value");
      expect((await store.getSecret("flux-system", "creds"))?.data).toEqual({ password: "s3cr3t-value" });
    } finally {
      await store.close();
    }
    const keyless = await open(db, { env: {} });
    try {
      const err = await keyless.getSecret("flux-system", "creds").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect((err as Error).message).toContain("IMAGECTL_SECRETS_KEY or IMAGECTL_SECRETS_KEY_FILE");
      await expect(keyless.putSecret("flux-system", "x", { data: { a: "b" } })).rejects.toBeInstanceOf(
        SecretsKeyError,
      );
    } finally {
      await keyless.close();
    }
  });

  it("checks rows read back and names the table, object and field", async () => {
    const db = await server.createDatabase();
    const store = await open(db);
    try {
      await store.apply([repo("app")]);
      await server.query(`UPDATE objects SET labels = '{"team": 7}' WHERE name = 'app'`, db);
      const err = await store.get("ImageRepository", "flux-system", "app").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptRowError);
      expect((err as Error).message).toBe(
        "corrupt row in table objects for ImageRepository 'flux-system/app': labels.team: expected string, found number",
      );
      await server.query(`UPDATE objects SET labels = NULL, kind = 'Pod' WHERE name = 'app'`, db);
      await expect(store.list("Pod" as "ImageRepository")).rejects.toThrow(
        /corrupt row in table objects .*kind/,
      );
    } finally {
      await store.close();
    }
  });

  it("gives concurrent writers on separate pools resourceVersions a follower never skips", async () => {
    const db = await server.createDatabase();
    await withStores(db, 5, async ([reader, ...writers]) => {
      const start = await reader!.currentResourceVersion();
      const seen: string[] = [];
      let since = start;
      let done = false;
      const follow = (async () => {
        while (!done) {
          const batch = await reader!.changesSince(since);
          for (const c of batch.changed) seen.push(c.name);
          since = batch.resourceVersion;
        }
      })();
      await Promise.all(
        writers.map(async (w, i) => {
          for (let j = 0; j < 40; j++) {
            await w.apply([repo(`w${i}-${j}`)]);
            await w.updateStatus("ImageRepository", "flux-system", `w${i}-${j}`, { observedGeneration: 1 });
          }
        }),
      );
      done = true;
      await follow;
      const rest = await reader!.changesSince(since);
      for (const c of rest.changed) seen.push(c.name);
      expect(seen).toHaveLength(4 * 40 * 2);
      expect(new Set(seen).size).toBe(4 * 40);
    });
  });

  it("fails calls with a StoreError while the server is down and recovers when it is back", async () => {
    const db = await server.createDatabase();
    const store = await open(db, { statementTimeoutMs: 2_000 });
    try {
      await store.apply([repo("before")]);
      await server.stopServer("immediate");
      const err = await store.list("ImageRepository").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/^list ImageRepository: /);
      await server.startServer();
      await store.apply([repo("after")]);
      expect((await store.list("ImageRepository")).map((o) => o.metadata.name)).toEqual(["after", "before"]);
    } finally {
      await store.close();
    }
  });
});

describe("PostgreSQL leases", () => {
  const key = { kind: "ImageUpdateAutomation" as const, namespace: "flux-system", name: "auto" };

  it("grants a lease to one holder at a time, with a new fencing token for each new holder", async () => {
    const db = await server.createDatabase();
    await withStores(db, 2, async ([a, b]) => {
      await a!.apply([{ ...repo("x"), kind: "ImageRepository" }]);
      const [first] = await a!.leases.acquire("a", [key], 60_000);
      expect(first).toMatchObject({ ...key, token: expect.any(Number) });
      expect(await b!.leases.acquire("b", [key], 60_000)).toEqual([]);
      // The holder re-claiming keeps its token.
      expect((await a!.leases.acquire("a", [key], 60_000))[0]?.token).toBe(first!.token);
      expect(await a!.leases.confirm("a", key, first!.token, 60_000)).toBe(true);

      await a!.leases.release("a", [key]);
      const [second] = await b!.leases.acquire("b", [key], 60_000);
      expect(second!.token).toBeGreaterThan(first!.token);
      // The old holder's token is fenced off.
      expect(await a!.leases.confirm("a", key, first!.token, 60_000)).toBe(false);
      expect(await b!.leases.confirm("b", key, second!.token, 60_000)).toBe(true);
    });
  });

  it("lets a lease expire on the server's clock, then another replica takes it", async () => {
    const db = await server.createDatabase();
    await withStores(db, 2, async ([a, b]) => {
      const [first] = await a!.leases.acquire("a", [key], 300);
      expect(await b!.leases.acquire("b", [key], 60_000)).toEqual([]);
      await new Promise((r) => setTimeout(r, 400));
      const [taken] = await b!.leases.acquire("b", [key], 60_000);
      expect(taken!.token).toBeGreaterThan(first!.token);
      expect(await a!.leases.confirm("a", key, first!.token, 60_000)).toBe(false);
      expect((await b!.leases.info(key))?.holder).toBe("b");
    });
  });

  it("renews only the leases of objects that exist and are still held; heartbeats list live replicas", async () => {
    const db = await server.createDatabase();
    await withStores(db, 1, async ([s]) => {
      await s!.apply([repo("kept"), repo("gone")]);
      const kept = { kind: "ImageRepository" as const, namespace: "flux-system", name: "kept" };
      const gone = { ...kept, name: "gone" };
      await s!.leases.acquire("a", [kept, gone], 60_000);
      await s!.delete("ImageRepository", "flux-system", "gone");
      expect((await s!.leases.renew("a", 60_000)).map((g) => g.name)).toEqual(["kept"]);
      expect(await s!.leases.heartbeat("a", 60_000)).toEqual(["a"]);
      expect(await s!.leases.heartbeat("b", 60_000)).toEqual(["a", "b"]);
      await s!.leases.leave("a");
      expect(await s!.leases.heartbeat("b", 60_000)).toEqual(["b"]);
      expect(await s!.leases.renew("a", 60_000)).toEqual([]);
      expect(await s!.leases.counts()).toEqual({ replicas: 1, held: 0 });
    });
  });
});
