/**
 * Secrets: the `secrets` table, keyed by namespace and name (not object rows: a Secret is not one
 * of imagectl's kinds). The data is JSON sealed with the secrets key (../secrets-cipher.ts);
 * namespace, name and type stay readable, and list calls never return values.
 */
import * as z from "zod/mini";
import { InvalidObjectError, SecretsKeyError } from "../errors.js";
import { summarizeSecret } from "../redact.js";
import { checkJson, checkRow, rowShape, stringMap } from "../row-check.js";
import { type SecretIdentity, seal, sealedWith, unseal } from "../secrets-cipher.js";
import type { SecretsKeyring, SecretsRotation } from "../secrets-key.js";
import type { Secret, SecretInput, SecretSummary } from "../store.js";
import type { Db, Params } from "./database.js";

export const TABLE = "secrets";

export const secretRow = rowShape(() =>
  z.object({
    namespace: z.string(),
    name: z.string(),
    type: z.string(),
    data: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export type SecretRow = z.output<typeof secretRow.schema>;

export function checkSecretRow(raw: unknown): SecretRow {
  return checkRow(secretRow, raw, TABLE, { kind: "Secret" });
}

/** A row read back: checked, its data opened with `keyring` and checked again. */
export function secretFromRow(keyring: SecretsKeyring, raw: unknown): Secret {
  const row = checkSecretRow(raw);
  const owner = { kind: "Secret", namespace: row.namespace, name: row.name };
  return {
    namespace: row.namespace,
    name: row.name,
    type: row.type,
    data: checkJson(stringMap, unseal(keyring, row, row.data, TABLE), TABLE, owner, "data"),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Checked before the write, so a bad value never reaches the file; names the key only. */
export function checkSecretInput(op: string, namespace: string, name: string, secret: SecretInput): void {
  if (!namespace || !name) throw new InvalidObjectError(`${op}: namespace and name are required`);
  for (const [k, v] of Object.entries(secret.data)) {
    // Names the key only: the value is the secret.
    if (typeof v !== "string") throw new InvalidObjectError(`${op}: data.${k} must be a string`);
  }
}

/** Runs inside the store's read or write transaction. */
export class SecretTable {
  private readonly stmt;

  constructor(
    db: Db,
    private readonly keyring: SecretsKeyring,
    private readonly timestamp: () => string,
  ) {
    this.stmt = {
      upsert: db.prepare<Params>(
        `INSERT INTO secrets (namespace, name, type, data, created_at, updated_at)
         VALUES (@namespace, @name, @type, @data, @at, @at)
         ON CONFLICT (namespace, name) DO UPDATE SET type = excluded.type, data = excluded.data,
           updated_at = excluded.updated_at`,
      ),
      setData: db.prepare<[string, string, string]>(
        "UPDATE secrets SET data = ? WHERE namespace = ? AND name = ?",
      ),
      byKey: db.prepare<[string, string], unknown>("SELECT * FROM secrets WHERE namespace = ? AND name = ?"),
      all: db.prepare<[], unknown>("SELECT * FROM secrets ORDER BY namespace, name"),
      inNamespace: db.prepare<[string], unknown>("SELECT * FROM secrets WHERE namespace = ? ORDER BY name"),
      delete: db.prepare<[string, string]>("DELETE FROM secrets WHERE namespace = ? AND name = ?"),
    };
  }

  put(namespace: string, name: string, secret: SecretInput): void {
    const type = secret.type ?? "Opaque";
    this.stmt.upsert.run({
      namespace,
      name,
      type,
      data: this.seal({ namespace, name, type }, JSON.stringify(secret.data)),
      at: this.timestamp(),
    });
  }

  get(namespace: string, name: string): Secret | undefined {
    const row = this.stmt.byKey.get(namespace, name);
    return row === undefined ? undefined : secretFromRow(this.keyring, row);
  }

  /** Decrypts every value to name its keys: a secret the key does not open fails the list, by name. */
  list(namespace?: string): SecretSummary[] {
    const rows = namespace === undefined ? this.stmt.all.all() : this.stmt.inNamespace.all(namespace);
    return rows.map((r) => summarizeSecret(secretFromRow(this.keyring, r)));
  }

  delete(namespace: string, name: string): boolean {
    return this.stmt.delete.run(namespace, name).changes > 0;
  }

  /**
   * Re-encrypts with the current key every secret sealed with an old one. All or nothing: one
   * secret no key opens fails the pass, by name, and changes nothing. `updated_at` is kept, as
   * the secret did not change.
   */
  reseal(): SecretsRotation {
    const key = this.keyring.sealingKey(() => this.refuseNewKeyOverSealedData());
    let resealed = 0;
    let unchanged = 0;
    for (const raw of this.stmt.all.all()) {
      const row = checkSecretRow(raw);
      if (sealedWith(row.data) === key.id) {
        unchanged++;
        continue;
      }
      this.stmt.setData.run(
        seal(key, row, unseal(this.keyring, row, row.data, TABLE)),
        row.namespace,
        row.name,
      );
      resealed++;
    }
    return { keyId: key.id, resealed, unchanged };
  }

  /**
   * Migration 2: seals the rows still holding the plaintext JSON imagectl wrote before secrets were
   * encrypted. Values are sealed as found: a damaged one stays damaged and is reported when read,
   * and a row not even of the right column types is left alone, so that one bad row cannot keep the
   * store from opening.
   */
  sealPlaintext(): number {
    let sealed = 0;
    for (const raw of this.stmt.all.all()) {
      if (!secretRow.fits(raw)) continue;
      const row = raw as SecretRow;
      if (sealedWith(row.data) !== undefined) continue;
      this.stmt.setData.run(this.seal(row, row.data), row.namespace, row.name);
      sealed++;
    }
    return sealed;
  }

  private seal(who: SecretIdentity, plaintext: string): string {
    return seal(
      this.keyring.sealingKey(() => this.refuseNewKeyOverSealedData()),
      who,
      plaintext,
    );
  }

  /**
   * Runs before the home's key file is created. Secrets sealed with a key the keyring does not have
   * mean the key file was lost or moved (or this file came from another home): a new key would
   * leave secrets that no single key opens, and the old ones unreadable for good if the file
   * is not found again. So refuse, naming a secret and the key it needs.
   */
  private refuseNewKeyOverSealedData(): void {
    for (const raw of this.stmt.all.all()) {
      if (!secretRow.fits(raw)) continue;
      const row = raw as SecretRow;
      const id = sealedWith(row.data);
      if (id === undefined || this.keyring.find(id)) continue;
      throw new SecretsKeyError(
        `${this.keyring.where} does not exist, but Secret '${row.namespace}/${row.name}' is encrypted with key ${id}: ` +
          "restore the key file (or give the key), or delete the secrets it opened, before storing secrets",
        `${row.namespace}/${row.name}`,
      );
    }
  }
}
