import type { ObjectId } from "../api/object-id.js";

/** `ImagePolicy 'flux-system/vote'`: how every store message names an object (Flux's style). */
export function describeObjectId(key: { kind: string; namespace: string; name: string }): string {
  return `${key.kind} '${key.namespace}/${key.name}'`;
}

/** Any storage failure; the message names the operation and object, never secret values. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** Message in Flux's style: `ImagePolicy 'flux-system/vote' not found`. */
export class NotFoundError extends StoreError {
  override name = "NotFoundError";
  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly objectName: string,
  ) {
    super(`${describeObjectId({ kind, namespace, name: objectName })} not found`);
  }
}

/** An optimistic-concurrency check failed: the object changed since the caller read it. */
export class ConflictError extends StoreError {
  override name = "ConflictError";
  constructor(
    key: ObjectId,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${describeObjectId(key)} was modified: expected resourceVersion ${expected}, found ${actual}`);
  }
}

/** A document given to `apply` lacks what the store needs to key it. */
export class InvalidObjectError extends StoreError {
  override name = "InvalidObjectError";
}

/** The database file was written by a newer imagectl, or a migration failed. */
export class SchemaError extends StoreError {
  override name = "SchemaError";
}

/**
 * A row read back from the database is not what imagectl writes (edited by hand, another tool, a
 * damaged file). Names the table, the object and the field so the row can be found and fixed;
 * never the value, which may be a secret.
 */
export class CorruptRowError extends StoreError {
  override name = "CorruptRowError";
  constructor(
    readonly table: string,
    readonly object: string,
    readonly field: string,
    problem: string,
  ) {
    super(`corrupt row in table ${table} for ${object}: ${field}: ${problem}`);
  }
}

/**
 * The secrets key is missing, unreadable or malformed, or is not the key a secret was encrypted
 * with. Names the secret (when one was being read) and where the key was looked for; never a
 * secret value, never a key.
 */
export class SecretsKeyError extends StoreError {
  override name = "SecretsKeyError";
  constructor(
    message: string,
    /** `namespace/name` of the secret that could not be decrypted, when there was one. */
    readonly secret?: string,
  ) {
    super(message);
  }
}
