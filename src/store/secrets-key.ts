/**
 * The key that encrypts secrets at rest (docs/secrets-at-rest.md), kept outside the store: a key
 * file in the home, created on first use, or a key given by the environment (for a store whose
 * data lives on a server, where the key must not sit beside it). Old keys only decrypt, so the key
 * can be rotated. Nothing is read until a secret is first sealed or opened: a command that never
 * touches secrets never reads, creates or trips over a key.
 *
 * Not under sqlite/: any backend seals its secrets with the same keys.
 */
import { createHmac, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { delimiter, dirname } from "node:path";
import * as z from "zod/mini";
import { SecretsKeyError } from "./errors.js";

export const SECRETS_KEY_FILE = "secrets.key";
export const SECRETS_KEY_ENV = "IMAGECTL_SECRETS_KEY";
export const SECRETS_KEY_FILE_ENV = "IMAGECTL_SECRETS_KEY_FILE";
export const SECRETS_OLD_KEYS_ENV = "IMAGECTL_SECRETS_OLD_KEYS";
export const SECRETS_OLD_KEY_FILES_ENV = "IMAGECTL_SECRETS_OLD_KEY_FILES";

const KEY_BYTES = 32;

/**
 * Every textual form of a key (file or variable): the standard base64 of 32 bytes, as
 * `openssl rand -base64 32` prints it. 44 characters can hold 31 to 33 bytes, so the decoded
 * length is checked too.
 */
const keyText = z.base64().check(z.length(44));

export interface SecretsKey {
  /** Names the key in stored values and messages: an HMAC of a fixed string, so it reveals nothing of the key. */
  readonly id: string;
  readonly bytes: Buffer;
}

/** A key given in code: 32 bytes, or their base64. */
export type KeyMaterial = Uint8Array | string;

export interface SecretsKeyOptions {
  /** The key that encrypts; wins over the environment and the key file. */
  key?: KeyMaterial;
  /** Keys that only decrypt (during a rotation); added to those the environment names. */
  oldKeys?: readonly KeyMaterial[];
}

function keyOf(bytes: Buffer): SecretsKey {
  const id = createHmac("sha256", bytes).update("imagectl secrets key id").digest("hex").slice(0, 16);
  return { id, bytes };
}

/** `what` says where the text came from; the message never quotes the text. */
function parseKey(text: string, what: string): SecretsKey {
  const trimmed = text.trim();
  const bytes = keyText.safeParse(trimmed).success ? Buffer.from(trimmed, "base64") : undefined;
  if (bytes?.length !== KEY_BYTES) {
    throw new SecretsKeyError(
      `${what} is not a secrets key: expected the base64 of 32 random bytes (openssl rand -base64 32)`,
    );
  }
  return keyOf(bytes);
}

function keyFromMaterial(material: KeyMaterial, what: string): SecretsKey {
  if (typeof material === "string") return parseKey(material, what);
  if (material.length !== KEY_BYTES)
    throw new SecretsKeyError(`${what} is not a secrets key: expected 32 bytes`);
  return keyOf(Buffer.from(material));
}

function readKeyFile(path: string, what: string): SecretsKey {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SecretsKeyError(
      `cannot read ${what}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  return parseKey(text, what);
}

/**
 * Creates the key file with a fresh random key, unless it exists. The key is written whole under a
 * temporary name (O_EXCL, 0600) and then linked into place: link fails when the name exists, so of
 * two processes starting together exactly one key wins and the other reads it, and no process
 * can read a half-written key (as after a plain O_EXCL create of the final name). File and
 * directory are synced before any secret is sealed with the key: a crash must not keep
 * ciphertext whose key was lost.
 */
export function createKeyFile(path: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, `${randomBytes(KEY_BYTES).toString("base64")}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  } catch (err) {
    throw new SecretsKeyError(`cannot create the secrets key file ${path}: ${(err as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
  syncDirectory(dirname(path));
}

export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot open or sync a directory; the file itself is synced.
  }
}

/** Where the encrypting key comes from. */
interface KeySource {
  /** For messages: "IMAGECTL_SECRETS_KEY", "the secrets key file /h/secrets.key". */
  readonly where: string;
  /** The key; undefined only for the home's key file before it is created. */
  load(): SecretsKey | undefined;
  /** Creates the home's key file; the other sources are never missing, and load (or fail) instead. */
  create(): SecretsKey;
}

function given(load: () => SecretsKey, where: string): KeySource {
  return { where, load, create: load };
}

function homeKeyFile(path: string): KeySource {
  const where = `the secrets key file ${path}`;
  return {
    where,
    load: () => (existsSync(path) ? readKeyFile(path, where) : undefined),
    create() {
      createKeyFile(path);
      // Ours, or the one another process linked first.
      return readKeyFile(path, where);
    },
  };
}

/** The key that seals new values, and the old keys that still open values sealed before a rotation. */
export class SecretsKeyring {
  private current: SecretsKey | undefined;
  private old: SecretsKey[] | undefined;

  constructor(
    private readonly source: KeySource,
    private readonly oldSources: readonly (() => SecretsKey)[],
  ) {}

  /** Where the encrypting key comes from, for messages. */
  get where(): string {
    return this.source.where;
  }

  /**
   * The key new values are sealed with. The home's key file is created the first time one is
   * needed, after `beforeCreate` has run: it throws to refuse (see SecretTable).
   */
  sealingKey(beforeCreate: () => void): SecretsKey {
    this.current ??= this.source.load();
    if (this.current === undefined) {
      beforeCreate();
      this.current = this.source.create();
    }
    return this.current;
  }

  /** The key, current or old, with this id; undefined when none has it. Never creates a key. */
  find(id: string): SecretsKey | undefined {
    this.current ??= this.source.load();
    if (this.current?.id === id) return this.current;
    return this.oldKeys().find((k) => k.id === id);
  }

  /** The keys there are, by id, for a message saying that none of them matches. */
  describe(): string {
    const current = this.current ?? this.source.load();
    const have = `${this.source.where} ${current ? `holds key ${current.id}` : "does not exist"}`;
    const old = this.oldKeys().map((k) => k.id);
    return `${have}, and ${old.length ? `the old keys are ${old.join(", ")}` : "there are no old keys"}`;
  }

  private oldKeys(): SecretsKey[] {
    this.old ??= this.oldSources.map((load) => load());
    return this.old;
  }
}

/** Unset and empty are the same, as for IMAGECTL_HOME. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name] || undefined;
}

/**
 * The keyring of a store. The encrypting key: `opts.key`, else IMAGECTL_SECRETS_KEY (base64),
 * else the file IMAGECTL_SECRETS_KEY_FILE names (which must exist: a mistyped path must not
 * quietly start a new key), else `keyFile`, created on first use. Old keys: `opts.oldKeys`,
 * IMAGECTL_SECRETS_OLD_KEYS (base64, comma-separated) and the files IMAGECTL_SECRETS_OLD_KEY_FILES
 * names (separated like PATH).
 */
export function secretsKeyring(
  keyFile: string,
  env: NodeJS.ProcessEnv = {},
  opts: SecretsKeyOptions = {},
): SecretsKeyring {
  const inline = envValue(env, SECRETS_KEY_ENV);
  const file = envValue(env, SECRETS_KEY_FILE_ENV);
  let source: KeySource;
  if (opts.key !== undefined) {
    const key = opts.key;
    source = given(() => keyFromMaterial(key, "the key option"), "the key option");
  } else if (inline !== undefined && file !== undefined) {
    const conflict = () => {
      throw new SecretsKeyError(`set ${SECRETS_KEY_ENV} or ${SECRETS_KEY_FILE_ENV}, not both`);
    };
    source = given(conflict, SECRETS_KEY_ENV);
  } else if (inline !== undefined) {
    source = given(() => parseKey(inline, SECRETS_KEY_ENV), SECRETS_KEY_ENV);
  } else if (file !== undefined) {
    const where = `the key file ${file} (${SECRETS_KEY_FILE_ENV})`;
    source = given(() => readKeyFile(file, where), where);
  } else {
    source = homeKeyFile(keyFile);
  }

  const old: (() => SecretsKey)[] = (opts.oldKeys ?? []).map(
    (m, i) => () => keyFromMaterial(m, `old key ${i + 1} of the oldKeys option`),
  );
  const oldInline = envValue(env, SECRETS_OLD_KEYS_ENV)?.split(",") ?? [];
  oldInline.forEach((text, i) => {
    if (text.trim()) old.push(() => parseKey(text, `entry ${i + 1} of ${SECRETS_OLD_KEYS_ENV}`));
  });
  for (const path of envValue(env, SECRETS_OLD_KEY_FILES_ENV)?.split(delimiter) ?? []) {
    const where = `the key file ${path} (${SECRETS_OLD_KEY_FILES_ENV})`;
    if (path) old.push(() => readKeyFile(path, where));
  }
  return new SecretsKeyring(source, old);
}

/** What a re-encryption pass did (see rotateSecretsKey). */
export interface SecretsRotation {
  /** The key every secret is now sealed with. */
  keyId: string;
  /** Secrets re-encrypted from an old key. */
  resealed: number;
  /** Secrets already sealed with the current key. */
  unchanged: number;
}
