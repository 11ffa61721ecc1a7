import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { matchPasswordLine } from "../../src/store/postgres/pgpass.js";
import { parsePostgresUrl, resolveStoreLocation, StoreUrlError } from "../../src/store/url.js";

const dir = mkdtempSync(join(tmpdir(), "imagectl-pgurl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("store location", () => {
  it("is the home's SQLite file unless --store or IMAGECTL_STORE names a server", () => {
    expect(resolveStoreLocation(undefined, {})).toEqual({ backend: "sqlite" });
    expect(resolveStoreLocation(undefined, { IMAGECTL_STORE: "" })).toEqual({ backend: "sqlite" });
    const fromEnv = resolveStoreLocation(undefined, { IMAGECTL_STORE: "postgres://bot@db:6543/imagectl" });
    expect(fromEnv).toMatchObject({
      backend: "postgres",
      host: "db",
      port: 6543,
      user: "bot",
      database: "imagectl",
    });
    const flagWins = resolveStoreLocation("postgresql://other@db2/x", {
      IMAGECTL_STORE: "postgres://bot@db/y",
    });
    expect(flagWins).toMatchObject({ host: "db2", user: "other", database: "x", port: 5432 });
  });

  it("fills what the URL leaves out from the PG* variables of the given environment", () => {
    const loc = parsePostgresUrl("postgres:///", {
      PGHOST: "pg.internal",
      PGPORT: "5999",
      PGUSER: "svc",
      PGDATABASE: "state",
      PGSSLMODE: "require",
    });
    expect(loc).toMatchObject({
      host: "pg.internal",
      port: 5999,
      user: "svc",
      database: "state",
      sslMode: "require",
    });
    expect(loc.display).toBe("postgres://svc@pg.internal:5999/state");
  });

  it("refuses a password in the URL, without echoing it, and names where a password goes", () => {
    const err = (() => {
      try {
        parsePostgresUrl("postgres://bot:hunter2@db/x", {});
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(StoreUrlError);
    expect(err?.message).toContain("PGPASSWORD");
    expect(err?.message).toContain("IMAGECTL_STORE_PASSWORD_FILE");
    expect(err?.message).not.toContain("hunter2");
  });

  it("reads the password from PGPASSWORD or the password file, when a connection needs it", async () => {
    expect(await parsePostgresUrl("postgres://bot@db/x", { PGPASSWORD: "p1" }).password()).toBe("p1");
    const file = join(dir, "pw");
    writeFileSync(file, "from-file\n", { mode: 0o600 });
    const loc = parsePostgresUrl("postgres://bot@db/x", { IMAGECTL_STORE_PASSWORD_FILE: file });
    expect(await loc.password()).toBe("from-file");
    expect(JSON.stringify(loc)).not.toContain("from-file");
    expect(() =>
      parsePostgresUrl("postgres://bot@db/x", { PGPASSWORD: "a", IMAGECTL_STORE_PASSWORD_FILE: file }),
    ).toThrow("not both");
    const missing = parsePostgresUrl("postgres://bot@db/x", {
      IMAGECTL_STORE_PASSWORD_FILE: join(dir, "nope"),
    });
    await expect(missing.password()).rejects.toThrow(
      /IMAGECTL_STORE_PASSWORD_FILE: cannot read .*nope: no such file/,
    );
  });

  it("reads libpq's password file as libpq does: first match, wildcards, escapes, comments", () => {
    const q = { host: "db.example", port: 5432, database: "imagectl", user: "bot" };
    const text = [
      "# db.example:5432:imagectl:bot:commented-out",
      "db.example:5433:imagectl:bot:other-port",
      "db.example:*:imagectl:bot:pa\\:ss\\\\word\r",
      "*:*:*:*:catch-all",
    ].join("\n");
    expect(matchPasswordLine(text, q)).toBe("pa:ss\\word");
    expect(matchPasswordLine(text, { ...q, user: "someone" })).toBe("catch-all");
    expect(matchPasswordLine("db.example:5432:imagectl:bot", q)).toBeUndefined(); // four fields
    expect(matchPasswordLine("db.example:5432:imagectl:bot:a:b", q)).toBe("a:b"); // the rest is the password
  });

  it("names the flag and the field of what it cannot use", () => {
    const bad: [string, RegExp][] = [
      ["not a url", /^--store: not a URL/],
      ["mysql://db/x", /^--store: unsupported scheme 'mysql'/],
      ["postgres://bot@db:0/x", /^--store: port must be a number/],
      ["postgres://db/x", /^--store: no user/],
      ["postgres://bot@db/x?sslmode=prefer", /^--store: sslmode 'prefer' is not supported/],
      ["postgres://bot@db/x?sslmode=verify-ca", /^--store: sslmode verify-ca needs sslrootcert/],
      ["postgres://bot@db/x?options=-c%20x", /^--store: unsupported parameter 'options'/],
    ];
    for (const [url, message] of bad) expect(() => parsePostgresUrl(url, {}), url).toThrow(message);
    expect(() => resolveStoreLocation(undefined, { IMAGECTL_STORE: "mysql://x" })).toThrow(
      /^IMAGECTL_STORE: /,
    );
  });

  it("names the part with a malformed percent-escape instead of failing with a URIError", () => {
    const bad: [string, RegExp][] = [
      ["postgres://b%ZZ@db/x", /^--store: the user has a malformed percent-escape/],
      ["postgres://bot@d%ZZ/x", /^--store: the host has a malformed percent-escape/],
      ["postgres://bot@db/x%E0%A4", /^--store: the database has a malformed percent-escape/],
    ];
    for (const [url, message] of bad) {
      expect(() => parsePostgresUrl(url, {}), url).toThrow(StoreUrlError);
      expect(() => parsePostgresUrl(url, {}), url).toThrow(message);
    }
  });

  it("reads the CA to trust for verify-full", () => {
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
    const loc = parsePostgresUrl(`postgres://bot@db/x?sslmode=verify-full&sslrootcert=${ca}`, {});
    expect(loc).toMatchObject({ sslMode: "verify-full", ca: "-----BEGIN CERTIFICATE-----\n" });
  });
});
