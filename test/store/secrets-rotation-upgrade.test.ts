/**
 * Changing keys and formats under stored secrets (docs/secrets-at-rest.md): rotation re-encrypts
 * all or nothing, and plaintext from before encryption is sealed on open, all or nothing.
 */
import { mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  CorruptRowError,
  rotateSecretsKey,
  SchemaError,
  SECRETS_KEY_FILE,
  SecretsKeyError,
  STATE_DB,
} from "../../src/store/index.js";
import { secretsKeyring } from "../../src/store/secrets-key.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { CANARY, CREDS, errorOf, newKey, secretHomes, storedBytes } from "./support/secrets.js";

describe("secrets under a changing key or format", () => {
  const { dir, home, open } = secretHomes();

  describe("key rotation", () => {
    async function seeded(): Promise<string> {
      const store = await open();
      await store.putSecret("flux-system", "creds", CREDS);
      await store.putSecret("apps", "git", { data: { identity: "key" } });
      await store.close();
      const old = join(dir(), "old.key");
      renameSync(join(home(), SECRETS_KEY_FILE), old);
      return old;
    }

    it("re-encrypts with a new key file, after which the old key is not needed", async () => {
      const old = await seeded();
      const oldId = secretsKeyring(old).sealingKey(() => {}).id;
      const store = await open("home", { IMAGECTL_SECRETS_OLD_KEY_FILES: old });
      expect((await store.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
      const done = await rotateSecretsKey(store);
      expect(done).toEqual({ keyId: expect.not.stringMatching(oldId), resealed: 2, unchanged: 0 });
      expect(await rotateSecretsKey(store)).toEqual({ ...done, resealed: 0, unchanged: 2 });
      await store.close();
      expect(storedBytes(home()).includes(`v1:${done.keyId}`)).toBe(true);
      expect(storedBytes(home()).includes(`v1:${oldId}`)).toBe(false);

      const after = await open();
      expect((await after.getSecret("apps", "git"))?.data).toEqual({ identity: "key" });
      const oldOnly = await open("home", { IMAGECTL_SECRETS_KEY_FILE: old });
      expect(await errorOf(oldOnly.getSecret("apps", "git"))).toBeInstanceOf(SecretsKeyError);
    });

    it("does not wait for a reader to checkpoint after re-encrypting", async () => {
      const old = await seeded();
      const store = await open("home", { IMAGECTL_SECRETS_OLD_KEY_FILES: old });
      const reader = new Database(join(home(), STATE_DB));
      try {
        reader.exec("BEGIN");
        reader.prepare("SELECT count(*) FROM secrets").get();
        const started = Date.now();
        expect(await rotateSecretsKey(store)).toMatchObject({ resealed: 2 });
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        reader.close();
      }
      expect((await store.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
    });

    it("rotates keys given by the environment", async () => {
      const [a, b] = [newKey(), newKey()];
      const first = await open("home", { IMAGECTL_SECRETS_KEY: a });
      await first.putSecret("flux-system", "creds", CREDS);
      const second = await open("home", {
        IMAGECTL_SECRETS_KEY: b,
        IMAGECTL_SECRETS_OLD_KEYS: `${newKey()}, ${a}`,
      });
      expect(await rotateSecretsKey(second)).toMatchObject({ resealed: 1, unchanged: 0 });
      const onlyB = await open("home", { IMAGECTL_SECRETS_KEY: b });
      expect((await onlyB.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
    });

    it("changes nothing when one secret opens with no key", async () => {
      const old = await seeded();
      const store = await open("home", { IMAGECTL_SECRETS_KEY: newKey() });
      await store.putSecret("apps", "fresh", { data: { token: "t" } });
      const err = await errorOf(rotateSecretsKey(store));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err.message).toContain("cannot be decrypted: the secrets key does not match");
      const withOld = await open("home", { IMAGECTL_SECRETS_KEY_FILE: old });
      expect((await withOld.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
    });
  });

  describe("plaintext secrets from before encryption", () => {
    const db = () => join(home(), STATE_DB);
    /** A version-1 file, as the imagectl before encryption left it. */
    async function legacy(rows: [name: string, data: string | Buffer][]): Promise<void> {
      await (await openSqliteStore(db(), { migrations: MIGRATIONS.slice(0, 1) })).close();
      const raw = new Database(db());
      const insert = raw.prepare(
        "INSERT INTO secrets VALUES ('flux-system', ?, 'Opaque', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
      );
      for (const [name, data] of rows) insert.run(name, data);
      raw.close();
    }
    const userVersion = () => {
      const raw = new Database(db());
      try {
        return raw.pragma("user_version", { simple: true });
      } finally {
        raw.close();
      }
    };

    beforeEach(() => {
      mkdirSync(home());
    });

    it("are sealed on open, leaving no plaintext in the file", async () => {
      const big = CANARY.repeat(2000);
      await legacy([
        ["creds", JSON.stringify(CREDS.data)],
        ["big", JSON.stringify({ blob: big })],
      ]);
      expect(storedBytes(home()).includes(CANARY)).toBe(true);
      const store = await open();
      expect(userVersion()).toBe(MIGRATIONS.length);
      expect(storedBytes(home()).includes(CANARY)).toBe(false);
      expect((await store.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
      expect((await store.getSecret("flux-system", "big"))?.data.blob).toBe(big);
      await store.close();
      const again = await open();
      expect((await again.listSecrets()).map((s) => s.name)).toEqual(["big", "creds"]);
    });

    it("keep damage as damage, and a row of the wrong types does not stop the store opening", async () => {
      await legacy([
        ["torn", `{"password": "${CANARY}`],
        ["blob", Buffer.from(CANARY)],
      ]);
      const store = await open();
      const torn = await errorOf(store.getSecret("flux-system", "torn"));
      expect(torn).toBeInstanceOf(CorruptRowError);
      expect(torn.message).toBe(
        "corrupt row in table secrets for Secret 'flux-system/torn': data: not valid JSON",
      );
      expect(await errorOf(store.getSecret("flux-system", "blob"))).toBeInstanceOf(CorruptRowError);
    });

    it("stay plaintext at version 1 when sealing fails midway, and are sealed by the next open", async () => {
      await legacy([
        ["a", JSON.stringify({ token: "a" })],
        ["b", JSON.stringify({ token: "b" })],
      ]);
      const keyring = secretsKeyring(join(home(), SECRETS_KEY_FILE));
      const real = keyring.sealingKey.bind(keyring);
      vi.spyOn(keyring, "sealingKey")
        .mockImplementationOnce(real)
        .mockImplementationOnce(() => {
          throw new Error("crashed");
        });
      const err = await errorOf(openSqliteStore(db(), { secrets: keyring }));
      expect(err).toBeInstanceOf(SchemaError);
      expect(err.message).toBe("migration 2 (encrypt secret data at rest) failed: crashed");
      expect(userVersion()).toBe(1);
      const raw = new Database(db(), { readonly: true });
      expect(raw.prepare("SELECT data FROM secrets ORDER BY name").pluck().all()).toEqual([
        '{"token":"a"}',
        '{"token":"b"}',
      ]);
      raw.close();
      const store = await open();
      expect((await store.getSecret("flux-system", "b"))?.data).toEqual({ token: "b" });
    });
  });
});
