export { canonicalJson, jsonEqual } from "./canonical.js";
export {
  ConflictError,
  CorruptRowError,
  InvalidObjectError,
  NotFoundError,
  SchemaError,
  SecretsKeyError,
  StoreError,
} from "./errors.js";
export { DEFAULT_HOME_DIR, ensureHome, HOME_ENV, resolveHome } from "./home.js";
export { type OpenStoreOptions, openStore, rotateSecretsKey, STATE_DB } from "./open.js";
export { REDACTED, redact, summarizeSecret } from "./redact.js";
export {
  type KeyMaterial,
  SECRETS_KEY_ENV,
  SECRETS_KEY_FILE,
  SECRETS_KEY_FILE_ENV,
  SECRETS_OLD_KEY_FILES_ENV,
  SECRETS_OLD_KEYS_ENV,
  type SecretsKeyOptions,
  type SecretsRotation,
} from "./secrets-key.js";
export type * from "./store.js";
export { RECONCILE_REQUESTED_AT } from "./store.js";
export { STORE_ENV, STORE_PASSWORD_FILE_ENV, StoreUrlError } from "./url.js";
