/**
 * Secrets on PostgreSQL: the `secrets` table, its data sealed exactly as SQLite's
 * (../secrets-cipher.ts: AES-256-GCM, the secret's identity bound in), so a value moved between
 * backends opens with the same key. The key never lives beside the data: it comes from the
 * environment (IMAGECTL_SECRETS_KEY or IMAGECTL_SECRETS_KEY_FILE, see postgres/store.ts), as
 * several replicas on several machines must share it. Row checks are shared with sqlite/secrets.ts.
 */
import { summarizeSecret } from "../redact.js";
import { type SecretIdentity, seal, sealedWith, unseal } from "../secrets-cipher.js";
import type { SecretsKeyring, SecretsRotation } from "../secrets-key.js";
import { checkSecretRow, secretFromRow, TABLE } from "../sqlite/secrets.js";
import type { Secret, SecretInput, SecretSummary } from "../store.js";
import type { Sql } from "./database.js";

const COLUMNS = "namespace, name, type, data, created_at, updated_at";

export class SecretTable {
  constructor(
    private readonly keyring: SecretsKeyring,
    private readonly timestamp: () => string,
  ) {}

  async put(sql: Sql, namespace: string, name: string, secret: SecretInput): Promise<void> {
    const type = secret.type ?? "Opaque";
    const data = this.seal({ namespace, name, type }, JSON.stringify(secret.data));
    await sql.rows(
      `INSERT INTO secrets (namespace, name, type, data, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (namespace, name) DO UPDATE SET type = excluded.type, data = excluded.data,
         updated_at = excluded.updated_at`,
      [namespace, name, type, data, this.timestamp()],
    );
  }

  async get(sql: Sql, namespace: string, name: string): Promise<Secret | undefined> {
    const [row] = await sql.rows(`SELECT ${COLUMNS} FROM secrets WHERE namespace = $1 AND name = $2`, [
      namespace,
      name,
    ]);
    return row === undefined ? undefined : secretFromRow(this.keyring, row);
  }

  /** Decrypts every value to name its keys: a secret the key does not open fails the list, by name. */
  async list(sql: Sql, namespace?: string): Promise<SecretSummary[]> {
    const rows =
      namespace === undefined
        ? await sql.rows(`SELECT ${COLUMNS} FROM secrets ORDER BY namespace, name`)
        : await sql.rows(`SELECT ${COLUMNS} FROM secrets WHERE namespace = $1 ORDER BY name`, [namespace]);
    return rows.map((r) => summarizeSecret(secretFromRow(this.keyring, r)));
  }

  async delete(sql: Sql, namespace: string, name: string): Promise<boolean> {
    return (await sql.count("DELETE FROM secrets WHERE namespace = $1 AND name = $2", [namespace, name])) > 0;
  }

  /**
   * Re-encrypts with the current key every secret sealed with an old one, in the caller's
   * transaction: one secret no key opens fails the pass, by name, and changes nothing.
   */
  async reseal(sql: Sql): Promise<SecretsRotation> {
    const key = this.keyring.sealingKey(() => {});
    let resealed = 0;
    let unchanged = 0;
    for (const raw of await sql.rows(`SELECT ${COLUMNS} FROM secrets ORDER BY namespace, name FOR UPDATE`)) {
      const row = checkSecretRow(raw);
      if (sealedWith(row.data) === key.id) {
        unchanged++;
        continue;
      }
      const data = seal(key, row, unseal(this.keyring, row, row.data, TABLE));
      await sql.rows("UPDATE secrets SET data = $1 WHERE namespace = $2 AND name = $3", [
        data,
        row.namespace,
        row.name,
      ]);
      resealed++;
    }
    return { keyId: key.id, resealed, unchanged };
  }

  private seal(who: SecretIdentity, plaintext: string): string {
    // The keyring of a PostgreSQL store has no key file to create: no check before creating.
    return seal(
      this.keyring.sealingKey(() => {}),
      who,
      plaintext,
    );
  }
}
