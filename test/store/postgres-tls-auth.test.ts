/**
 * The store on a server that takes TCP connections only over TLS and only with a password
 * (scram-sha-256): sslmode and sslrootcert as libpq reads them, the password from a file or
 * PGPASSWORD or libpq's password file (never the URL), and failures that say what went wrong without the password.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const PASSWORD = "Tr0ub4dor-store-pass";
const env = { IMAGECTL_SECRETS_KEY: Buffer.alloc(32, 6).toString("base64") };

let server: TestPostgres;
let dir: string;
let db: string;
beforeAll(async () => {
  server = await startPostgres({ secure: true });
  dir = mkdtempSync(join(tmpdir(), "imagectl-pgtls-"));
  await server.query(`CREATE ROLE imagectl LOGIN PASSWORD '${PASSWORD}'`);
  db = await server.createDatabase();
  await server.query(`ALTER DATABASE ${db} OWNER TO imagectl`);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const base = () => `postgres://imagectl@127.0.0.1:${server.port}/${db}`;

async function attempt(url: string, vars: NodeJS.ProcessEnv): Promise<unknown> {
  try {
    const store = await openPostgresStore(parsePostgresUrl(url, vars), { env, connectTimeoutMs: 3_000 });
    try {
      await store.apply([
        {
          apiVersion: "image.toolkit.fluxcd.io/v1",
          kind: "ImageRepository",
          metadata: { name: "app", namespace: "flux-system" },
          spec: { image: "ghcr.io/org/app", interval: "5m" },
        },
      ]);
      return (await store.list("ImageRepository")).length;
    } finally {
      await store.close();
    }
  } catch (err) {
    return err;
  }
}

describe("PostgreSQL store over TLS with a password", () => {
  it("connects with verify-full against the server's CA and the password from a file", async () => {
    const file = join(dir, "password");
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const url = `${base()}?sslmode=verify-full&sslrootcert=${server.pki!.caPath}`;
    expect(await attempt(url, { IMAGECTL_STORE_PASSWORD_FILE: file })).toBe(1);
    // verify-ca, and require (encrypted, not verified), with PGPASSWORD.
    expect(
      await attempt(`${base()}?sslmode=verify-ca&sslrootcert=${server.pki!.caPath}`, {
        PGPASSWORD: PASSWORD,
      }),
    ).toBe(1);
    expect(await attempt(`${base()}?sslmode=require`, { PGPASSWORD: PASSWORD })).toBe(1);
  });

  it("refuses a server whose certificate it cannot verify", async () => {
    const err = await attempt(`${base()}?sslmode=verify-full`, { PGPASSWORD: PASSWORD });
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(
      /^open PostgreSQL store postgres:\/\/imagectl@127\.0\.0\.1:\d+\/\w+: .*certificate/,
    );
  });

  it("is refused without TLS by a server that requires it", async () => {
    const err = await attempt(`${base()}?sslmode=disable`, { PGPASSWORD: PASSWORD });
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/no encryption|pg_hba\.conf rejects/);
  });

  it("reports a wrong password without quoting it", async () => {
    const err = await attempt(`${base()}?sslmode=require`, { PGPASSWORD: "wrong-pass-123" });
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain('password authentication failed for user "imagectl"');
    expect((err as Error).message).not.toContain("wrong-pass-123");
  });

  it("finds the password in the password file (PGPASSFILE) as libpq does, and skips a file others can read", async () => {
    const file = join(dir, "pgpass");
    // libpq's format: the first matching line wins, `*` matches anything, `\:` is a colon.
    writeFileSync(
      file,
      `# comment\n127.0.0.1:${server.port}:other_db:imagectl:not-this-one\n` +
        `127.0.0.1:*:${db}:imagectl:${PASSWORD}\n*:*:*:*:not-this-either\n`,
      { mode: 0o600 },
    );
    expect(await attempt(`${base()}?sslmode=require`, { PGPASSFILE: file })).toBe(1);
    chmodSync(file, 0o644);
    const err = await attempt(`${base()}?sslmode=require`, { PGPASSFILE: file });
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).not.toContain(PASSWORD);
  });
});
