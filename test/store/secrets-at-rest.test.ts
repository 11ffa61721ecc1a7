/**
 * Secrets encrypted at rest (docs/secrets-at-rest.md): the file alone reveals no secret, a wrong or
 * missing key is a SecretsKeyError naming the secret, and the key file is created once.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECRETS_KEY_FILE, SecretsKeyError, STATE_DB } from "../../src/store/index.js";
import { secretsKeyring } from "../../src/store/secrets-key.js";
import { repo } from "./contract.js";
import { startWriter, stopWriter, type Writer } from "./support/child.js";
import { CANARY, CREDS, errorOf, newKey, secretHomes, storedBytes } from "./support/secrets.js";

describe("secrets at rest", () => {
  const { dir, home, open } = secretHomes();

  it("keeps no secret value in the database or its WAL, open or closed", async () => {
    const store = await open();
    await store.putSecret("flux-system", "creds", CREDS);
    expect(storedBytes(home()).includes(CANARY)).toBe(false);
    expect((await store.getSecret("flux-system", "creds"))?.data.password).toBe(CANARY);
    await store.close();
    expect(storedBytes(home()).includes(CANARY)).toBe(false);
    expect(storedBytes(home()).includes("password")).toBe(false);
  });

  it("leaves no ciphertext of a deleted secret behind (for an old key to open)", async () => {
    const store = await open();
    await store.putSecret("flux-system", "keep", { data: { token: "k" } });
    await store.putSecret("flux-system", "creds", CREDS);
    const raw = new Database(join(home(), STATE_DB), { readonly: true });
    const sealed = String(raw.prepare("SELECT data FROM secrets WHERE name = 'creds'").pluck().get());
    raw.close();
    await store.deleteSecret("flux-system", "creds");
    await store.close();
    expect(sealed).toMatch(/^v1:[0-9a-f]{16}:/);
    expect(storedBytes(home()).includes(sealed.slice(20, 60))).toBe(false);
  });

  it("creates the key file 0600 on the first secret, not before", async () => {
    const store = await open();
    await store.apply([repo("app", "ghcr.io/org/app")]);
    await store.getSecret("flux-system", "none");
    const keyFile = join(home(), SECRETS_KEY_FILE);
    expect(existsSync(keyFile)).toBe(false);
    await store.putSecret("flux-system", "creds", CREDS);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64")).toHaveLength(32);
    expect(readdirSync(home()).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  describe("a copy of the file without its key", () => {
    let copy: string;
    beforeEach(async () => {
      const store = await open();
      await store.apply([repo("app", "ghcr.io/org/app")]);
      await store.putSecret("flux-system", "creds", CREDS);
      await store.close();
      copy = home("elsewhere");
      await (await open("elsewhere")).close();
      copyFileSync(join(home(), STATE_DB), join(copy, STATE_DB));
    });

    it("reveals no secret in a home without a key, and says which key is missing", async () => {
      const store = await open("elsewhere");
      expect((await store.get("ImageRepository", "flux-system", "app"))?.spec.image).toBe("ghcr.io/org/app");
      const err = await errorOf(store.getSecret("flux-system", "creds"));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err).toMatchObject({ secret: "flux-system/creds" });
      expect(err.message.replace(/\b[0-9a-f]{16}\b/, "<id>")).toBe(
        "Secret 'flux-system/creds' cannot be decrypted: the secrets key does not match (it was encrypted " +
          `with key <id>; the secrets key file ${join(copy, SECRETS_KEY_FILE)} does not exist, and there are no old keys)`,
      );
      expect(await errorOf(store.listSecrets())).toBeInstanceOf(SecretsKeyError);
    });

    it("says the key does not match in a home with another key, quoting neither key nor value", async () => {
      const other = newKey();
      const store = await open("elsewhere", { IMAGECTL_SECRETS_KEY: other });
      const err = await errorOf(store.getSecret("flux-system", "creds"));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err.message).toContain(
        "Secret 'flux-system/creds' cannot be decrypted: the secrets key does not match",
      );
      expect(err.message).toMatch(/IMAGECTL_SECRETS_KEY holds key [0-9a-f]{16}/);
      const original = readFileSync(join(home(), SECRETS_KEY_FILE), "utf8").trim();
      for (const hidden of [CANARY, other, original]) expect(err.message).not.toContain(hidden);
      expect(err.stack ?? "").not.toMatch(/authenticate|crypto/i);
    });

    it("refuses to start a new key beside secrets sealed with a lost one", async () => {
      const store = await open("elsewhere");
      const err = await errorOf(store.putSecret("flux-system", "new", { data: { token: "t" } }));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err.message).toMatch(
        /secrets\.key does not exist, but Secret 'flux-system\/creds' is encrypted with key [0-9a-f]{16}: restore/,
      );
      expect(existsSync(join(copy, SECRETS_KEY_FILE))).toBe(false);
      expect(await store.listSecrets("other")).toEqual([]);
    });

    it("opens with the original key given by IMAGECTL_SECRETS_KEY_FILE", async () => {
      const env = { IMAGECTL_SECRETS_KEY_FILE: join(home(), SECRETS_KEY_FILE) };
      const store = await open("elsewhere", env);
      expect((await store.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
      expect(existsSync(join(copy, SECRETS_KEY_FILE))).toBe(false);
    });
  });

  describe("keys from the environment", () => {
    it("uses IMAGECTL_SECRETS_KEY and creates no key file", async () => {
      const key = newKey();
      const store = await open("home", { IMAGECTL_SECRETS_KEY: key });
      await store.putSecret("flux-system", "creds", CREDS);
      expect(existsSync(join(home(), SECRETS_KEY_FILE))).toBe(false);
      await store.close();
      const again = await open("home", { IMAGECTL_SECRETS_KEY: ` ${key}\n` });
      expect((await again.getSecret("flux-system", "creds"))?.data).toEqual(CREDS.data);
    });

    it.each([
      [
        "a key that is not base64 of 32 bytes",
        { IMAGECTL_SECRETS_KEY: "c2hvcnQ=" },
        "IMAGECTL_SECRETS_KEY is not a secrets key",
      ],
      [
        "both forms at once",
        { IMAGECTL_SECRETS_KEY: newKey(), IMAGECTL_SECRETS_KEY_FILE: "/k" },
        "set IMAGECTL_SECRETS_KEY or IMAGECTL_SECRETS_KEY_FILE, not both",
      ],
      [
        "a key file that does not exist",
        { IMAGECTL_SECRETS_KEY_FILE: "/nonexistent/imagectl.key" },
        "cannot read the key file /nonexistent/imagectl.key (IMAGECTL_SECRETS_KEY_FILE): no such file",
      ],
    ])("reports %s when a secret is touched, not before", async (_, env, message) => {
      const store = await open("home", env);
      await store.apply([repo("app", "ghcr.io/org/app")]);
      await (await open("home", {})).putSecret("flux-system", "creds", CREDS);
      const err = await errorOf(store.getSecret("flux-system", "creds"));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err.message).toContain(message);
      expect(err.message).toContain("Secret 'flux-system/creds' cannot be decrypted");
    });

    it("reads old keys when a secret needs one, and names a bad one by position", async () => {
      await (await open("home", {})).putSecret("flux-system", "creds", CREDS);
      const env = { IMAGECTL_SECRETS_KEY: newKey(), IMAGECTL_SECRETS_OLD_KEYS: `${newKey()},${CANARY}` };
      const store = await open("home", env);
      await store.putSecret("flux-system", "new", { data: { token: "t" } });
      const err = await errorOf(store.getSecret("flux-system", "creds"));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err.message).toBe(
        "Secret 'flux-system/creds' cannot be decrypted: entry 2 of IMAGECTL_SECRETS_OLD_KEYS is not a secrets key: " +
          "expected the base64 of 32 random bytes (openssl rand -base64 32)",
      );
    });

    it("names a key file that holds no key, not its contents", async () => {
      const file = join(dir(), "bad.key");
      writeFileSync(file, `${CANARY}\n`);
      const store = await open("home", { IMAGECTL_SECRETS_KEY_FILE: file });
      const err = await errorOf(store.putSecret("flux-system", "creds", CREDS));
      expect(err).toBeInstanceOf(SecretsKeyError);
      expect(err.message).toContain(`the key file ${file} (IMAGECTL_SECRETS_KEY_FILE) is not a secrets key`);
      expect(err.message).not.toContain(CANARY);
    });
  });

  it("of two processes creating the key file at once, one key wins and the other reads it", async () => {
    mkdirSync(home());
    const file = join(home(), SECRETS_KEY_FILE);
    const first = secretsKeyring(file);
    const second = secretsKeyring(file);
    // The second finds no file, then the first creates it before the second links its own.
    const key = second.sealingKey(() => first.sealingKey(() => {}));
    expect(key.id).toBe(first.sealingKey(() => {}).id);
    expect(readdirSync(home()).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  describe("processes starting together", () => {
    let writers: Writer[] = [];
    afterEach(async () => {
      await Promise.all(writers.map(stopWriter));
      writers = [];
    });

    it("agree on one key", async () => {
      const file = join(home(), STATE_DB);
      await (await open()).close();
      writers = ["a", "b", "c"].map((id) => startWriter(["secret", file, id]));
      await Promise.all(writers.map((w) => w.waitFor("ready")));
      for (const w of writers) w.child.stdin?.write("go\n");
      const results = await Promise.all(writers.map((w) => w.exited));
      for (const [i, r] of results.entries()) expect(r.code, writers[i]!.output()).toBe(0);
      const store = await open();
      for (const id of ["a", "b", "c"]) {
        expect((await store.getSecret("crash", id))?.data).toEqual({ token: `token-of-${id}` });
      }
    });
  });
});
