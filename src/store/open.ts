import { join } from "node:path";
import { StoreError } from "./errors.js";
import { ensureHome, resolveHome } from "./home.js";
import {
  SECRETS_KEY_FILE,
  type SecretsKeyOptions,
  type SecretsRotation,
  secretsKeyring,
} from "./secrets-key.js";
import { openSqliteStore, SqliteStore } from "./sqlite/store.js";
import type { Store } from "./store.js";
import { resolveStoreLocation } from "./url.js";

export const STATE_DB = "state.db";

export interface OpenStoreOptions {
  /** The `--home` flag; falls back to $IMAGECTL_HOME, then ~/.imagectl. */
  home?: string;
  /** Also where the secrets key may come from (IMAGECTL_SECRETS_KEY and friends). */
  env?: NodeJS.ProcessEnv;
  /** Keys given in code; they win over the environment and the home's key file. */
  secrets?: SecretsKeyOptions;
  /**
   * The `--store` flag: a `postgres://USER@HOST:PORT/DB` URL; falls back to $IMAGECTL_STORE, then
   * to the home's SQLite file.
   */
  store?: string;
}

/**
 * The store every command and the daemon use: `<home>/state.db`, its secrets sealed with the key
 * the environment gives or else `<home>/secrets.key` (docs/secrets-at-rest.md); or the PostgreSQL
 * database `--store` / $IMAGECTL_STORE names (docs/deployment.md), its secrets sealed with the key
 * the environment gives (there is no key file beside a shared database).
 */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const env = opts.env ?? process.env;
  const location = resolveStoreLocation(opts.store, env);
  const home = resolveHome(opts.home, env);
  // Also with a shared store: the home keeps this machine's Git caches and daemon.json.
  ensureHome(home);
  if (location.backend === "postgres") {
    // Loaded only for this backend: the SQLite default never pays for the pg driver.
    const { openPostgresStore, postgresKeyring } = await import("./postgres/store.js");
    return openPostgresStore(location, { env, secrets: postgresKeyring(env, opts.secrets) });
  }
  return openSqliteStore(join(home, STATE_DB), {
    secrets: secretsKeyring(join(home, SECRETS_KEY_FILE), env, opts.secrets),
  });
}

/**
 * Re-encrypts every secret in `store` with its current key; the last step of a key rotation
 * (docs/secrets-at-rest.md). Open the store with the old key among the old keys.
 */
export async function rotateSecretsKey(store: Store): Promise<SecretsRotation> {
  if (store instanceof SqliteStore) return store.rotateSecretsKey();
  const rotatable = store as Partial<{ rotateSecretsKey(): Promise<SecretsRotation> }>;
  if (typeof rotatable.rotateSecretsKey === "function") return rotatable.rotateSecretsKey();
  throw new StoreError("this store cannot re-encrypt its secrets");
}
