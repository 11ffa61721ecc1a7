import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NEXT_KEY_FILE } from "../../src/cli/rotate.js";
import { acquireDaemonLock } from "../../src/controller/daemon-lock.js";
import { openStore, SECRETS_KEY_FILE } from "../../src/store/index.js";
import { createKeyFile, secretsKeyring } from "../../src/store/secrets-key.js";
import { CANARY, newKey, storedBytes } from "../store/support/secrets.js";
import { runCli } from "../support/cli.js";

// `imagectl rotate secrets-key` against a real home: the store's secrets are re-encrypted with a
// new key, the old key is kept beside it, a running daemon makes it refuse, a stopped run resumes.
describe("imagectl rotate secrets-key", () => {
  let home: string;
  const env = (extra: NodeJS.ProcessEnv = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const k of Object.keys(e)) if (k.startsWith("IMAGECTL_SECRETS") && !(k in extra)) delete e[k];
    return e;
  };
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(["--home", home, ...args], { env: env(extra) });
  const keyId = (path: string) => secretsKeyring(path).sealingKey(() => {}).id;
  const readSecret = async (name: string, e: NodeJS.ProcessEnv = {}) => {
    const store = await openStore({ home, env: e });
    try {
      return (await store.getSecret("flux-system", name))?.data;
    } finally {
      await store.close();
    }
  };

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), "imagectl-rotate-"));
    expect((await cli(["create", "secret", "generic", "one", `--from-literal=token=${CANARY}`])).code).toBe(
      0,
    );
    expect((await cli(["create", "secret", "generic", "two", "--from-literal=password=hunter2"])).code).toBe(
      0,
    );
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("re-encrypts every secret with a new key and keeps the old key beside it", async () => {
    const keyPath = join(home, SECRETS_KEY_FILE);
    const oldText = readFileSync(keyPath, "utf8");
    const oldId = keyId(keyPath);
    expect(storedBytes(home).includes(`v1:${oldId}`)).toBe(true);

    const r = await cli(["rotate", "secrets-key"]);
    expect(r.stderr).toMatch(/secrets encrypted with key [0-9a-f]{16} .*: 2 re-encrypted, 0 already were/);
    expect(r.code).toBe(0);
    const newId = keyId(keyPath);
    expect(newId).not.toBe(oldId);
    expect(r.stderr).toContain(`old key ${oldId} kept in ${join(home, `secrets.key.old-${oldId}`)}`);
    expect(r.stderr).not.toContain(oldText.trim());
    const kept = join(home, `secrets.key.old-${oldId}`);
    expect(readFileSync(kept, "utf8")).toBe(oldText);
    expect(statSync(kept).mode & 0o777).toBe(0o600);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(existsSync(join(home, NEXT_KEY_FILE))).toBe(false);

    const bytes = storedBytes(home);
    expect(bytes.includes(`v1:${newId}`)).toBe(true);
    expect(bytes.includes(`v1:${oldId}`)).toBe(false);
    expect(bytes.includes(CANARY)).toBe(false);
    expect(await readSecret("one")).toEqual({ token: CANARY });
    expect(await readSecret("two")).toEqual({ password: "hunter2" });
    // The old key alone no longer opens anything.
    await expect(readSecret("one", { IMAGECTL_SECRETS_KEY_FILE: kept })).rejects.toThrow(
      /cannot be decrypted/,
    );
  });

  it("refuses while a daemon holds the home, and changes nothing", async () => {
    const keyPath = join(home, SECRETS_KEY_FILE);
    const before = readFileSync(keyPath, "utf8");
    const lock = acquireDaemonLock(home);
    try {
      const r = await cli(["rotate", "secrets-key"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("a daemon is already running for");
      expect(r.stderr).toContain("stop it first");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      lock.release();
    }
    expect(readFileSync(keyPath, "utf8")).toBe(before);
    expect(existsSync(join(home, NEXT_KEY_FILE))).toBe(false);
    expect(await readSecret("one")).toEqual({ token: CANARY });
  });

  it("finishes a rotation that stopped after writing the new key", async () => {
    const next = join(home, NEXT_KEY_FILE);
    createKeyFile(next);
    const nextId = keyId(next);
    const r = await cli(["rotate", "secrets-key"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("finishing the rotation");
    expect(keyId(join(home, SECRETS_KEY_FILE))).toBe(nextId);
    expect(await readSecret("two")).toEqual({ password: "hunter2" });
  });

  it("re-encrypts with the keys the environment names", async () => {
    const oldKey = readFileSync(join(home, SECRETS_KEY_FILE), "utf8").trim();
    const key = newKey();
    const e = { IMAGECTL_SECRETS_KEY: key, IMAGECTL_SECRETS_OLD_KEYS: oldKey };
    const r = await cli(["rotate", "secrets-key"], e);
    expect(r.stderr).toContain("2 re-encrypted");
    expect(r.code).toBe(0);
    expect(await readSecret("one", { IMAGECTL_SECRETS_KEY: key })).toEqual({ token: CANARY });
    // Without the old keys it fails, naming the secret, not the key.
    const fresh = newKey();
    const bad = await cli(["rotate", "secrets-key"], { IMAGECTL_SECRETS_KEY: fresh });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("cannot be decrypted");
    expect(bad.stderr).not.toContain(key);
    expect(await readSecret("one", { IMAGECTL_SECRETS_KEY: key })).toEqual({ token: CANARY });
  });

  it("has nothing to rotate in a home without a store", async () => {
    const empty = mkdtempSync(join(tmpdir(), "imagectl-rotate-empty-"));
    try {
      const r = await runCli(["--home", empty, "rotate", "secrets-key"], { env: env() });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("nothing to rotate");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
