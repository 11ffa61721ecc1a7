/**
 * Secret data sealed at rest: AES-256-GCM under the secrets key, a random 96-bit nonce per write,
 * and the secret's namespace, name and type as additional authenticated data, so a value copied
 * onto another secret's row (or retyped) fails to decrypt instead of being used under the wrong
 * name. Stored as text, `v1:<key id>:<base64url of nonce, ciphertext and tag>`: the version names
 * this layout, and the key id says which key opens the value, so the key can rotate while old
 * values still open.
 *
 * Not under sqlite/: any backend stores the same sealed text.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CorruptRowError, describeObjectId, SecretsKeyError } from "./errors.js";
import type { SecretsKey, SecretsKeyring } from "./secrets-key.js";

const FORMAT = "v1";
const CIPHER = "aes-256-gcm";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([0-9a-f]{16}):([A-Za-z0-9_-]+)$/;

/** Which secret a value belongs to: bound into its ciphertext. */
export interface SecretIdentity {
  namespace: string;
  name: string;
  type: string;
}

function additionalData(header: string, who: SecretIdentity): Buffer {
  // A JSON array, so no two identities encode alike (`a/b` + `c` against `a` + `b/c`).
  return Buffer.from(JSON.stringify([header, who.namespace, who.name, who.type]));
}

export function seal(key: SecretsKey, who: SecretIdentity, plaintext: string): string {
  const header = `${FORMAT}:${key.id}`;
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(header, who));
  const body = Buffer.concat([nonce, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${header}:${body.toString("base64url")}`;
}

/** The id of the key `stored` was sealed with; undefined when it is not a sealed value. */
export function sealedWith(stored: string): string | undefined {
  return SEALED.exec(stored)?.[1];
}

/**
 * Decrypts `stored`, a value of `table`. A value that is not sealed, or does not authenticate
 * under the key it names, is a CorruptRowError; one sealed with a key the keyring lacks (or read
 * while the key cannot be loaded) is a SecretsKeyError naming the secret.
 */
export function unseal(keyring: SecretsKeyring, who: SecretIdentity, stored: string, table: string): string {
  const owner = describeObjectId({ kind: "Secret", namespace: who.namespace, name: who.name });
  const corrupt = (problem: string) => new CorruptRowError(table, owner, "data", problem);
  const [, id, body] = SEALED.exec(stored) ?? [];
  if (id === undefined || body === undefined) {
    throw corrupt(`not encrypted data (expected ${FORMAT}:<key id>:<ciphertext>)`);
  }
  const key = findKey(keyring, id, owner, who);
  const raw = Buffer.from(body, "base64url");
  if (raw.length < NONCE_BYTES + TAG_BYTES) throw corrupt("encrypted data too short");
  try {
    const decipher = createDecipheriv(CIPHER, key.bytes, raw.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(`${FORMAT}:${id}`, who));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const text = decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES));
    return Buffer.concat([text, decipher.final()]).toString("utf8");
  } catch {
    // The key is the one the value names, so the value itself was changed.
    throw corrupt(`does not decrypt with key ${id}: altered, or moved here from another secret`);
  }
}

/** Key problems, whether no key matches or the key cannot be loaded at all, name the secret. */
function findKey(keyring: SecretsKeyring, id: string, owner: string, who: SecretIdentity): SecretsKey {
  try {
    const key = keyring.find(id);
    if (key) return key;
    throw new SecretsKeyError(
      `the secrets key does not match (it was encrypted with key ${id}; ${keyring.describe()})`,
    );
  } catch (err) {
    if (!(err instanceof SecretsKeyError)) throw err;
    throw new SecretsKeyError(`${owner} cannot be decrypted: ${err.message}`, `${who.namespace}/${who.name}`);
  }
}
