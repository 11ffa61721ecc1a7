import type { ObjectId } from "../api/object-id.js";

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
    super(`${kind} '${namespace}/${objectName}' not found`);
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
    super(
      `${key.kind} '${key.namespace}/${key.name}' was modified: expected resourceVersion ${expected}, found ${actual}`,
    );
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
