export { canonicalJson, jsonEqual } from "./canonical.js";
export {
  ConflictError,
  CorruptRowError,
  InvalidObjectError,
  NotFoundError,
  SchemaError,
  StoreError,
} from "./errors.js";
export { DEFAULT_HOME_DIR, ensureHome, HOME_ENV, resolveHome } from "./home.js";
export { type OpenStoreOptions, openStore, STATE_DB } from "./open.js";
export { REDACTED, redact, summarizeSecret } from "./redact.js";
export type * from "./store.js";
export { RECONCILE_REQUESTED_AT } from "./store.js";
