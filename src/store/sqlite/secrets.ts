/**
 * Secrets: the `secrets` table, keyed by namespace and name (not object rows: a Secret is not one
 * of imagectl's kinds). Values are stored decoded, as JSON; list calls never return them.
 */
import * as z from "zod/mini";
import { InvalidObjectError } from "../errors.js";
import { summarizeSecret } from "../redact.js";
import { checkJson, checkRow, rowShape, stringMap } from "../row-check.js";
import type { Secret, SecretInput, SecretSummary } from "../store.js";
import type { Db, Params } from "./database.js";

const secretRow = rowShape(() =>
  z.object({
    namespace: z.string(),
    name: z.string(),
    type: z.string(),
    data: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

function secretFromRow(raw: unknown): Secret {
  const row = checkRow(secretRow, raw, "secrets", { kind: "Secret" });
  const owner = { kind: "Secret", namespace: row.namespace, name: row.name };
  return {
    namespace: row.namespace,
    name: row.name,
    type: row.type,
    data: checkJson(stringMap, row.data, "secrets", owner, "data"),
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
    private readonly timestamp: () => string,
  ) {
    this.stmt = {
      upsert: db.prepare<Params>(
        `INSERT INTO secrets (namespace, name, type, data, created_at, updated_at)
         VALUES (@namespace, @name, @type, @data, @at, @at)
         ON CONFLICT (namespace, name) DO UPDATE SET type = excluded.type, data = excluded.data,
           updated_at = excluded.updated_at`,
      ),
      byKey: db.prepare<[string, string], unknown>("SELECT * FROM secrets WHERE namespace = ? AND name = ?"),
      all: db.prepare<[], unknown>("SELECT * FROM secrets ORDER BY namespace, name"),
      inNamespace: db.prepare<[string], unknown>("SELECT * FROM secrets WHERE namespace = ? ORDER BY name"),
      delete: db.prepare<[string, string]>("DELETE FROM secrets WHERE namespace = ? AND name = ?"),
    };
  }

  put(namespace: string, name: string, secret: SecretInput): void {
    this.stmt.upsert.run({
      namespace,
      name,
      type: secret.type ?? "Opaque",
      data: JSON.stringify(secret.data),
      at: this.timestamp(),
    });
  }

  get(namespace: string, name: string): Secret | undefined {
    const row = this.stmt.byKey.get(namespace, name);
    return row === undefined ? undefined : secretFromRow(row);
  }

  list(namespace?: string): SecretSummary[] {
    const rows = namespace === undefined ? this.stmt.all.all() : this.stmt.inNamespace.all(namespace);
    return rows.map((r) => summarizeSecret(secretFromRow(r)));
  }

  delete(namespace: string, name: string): boolean {
    return this.stmt.delete.run(namespace, name).changes > 0;
  }
}
