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

export const STATE_DB = "state.db";

export interface OpenStoreOptions {
  /** The `--home` flag; falls back to $IMAGECTL_HOME, then ~/.imagectl. */
  home?: string;
  /** Also where the secrets key may come from (IMAGECTL_SECRETS_KEY and friends). */
  env?: NodeJS.ProcessEnv;
  /** Keys given in code; they win over the environment and the home's key file. */
  secrets?: SecretsKeyOptions;
}

/**
 * The store every command and the daemon use: `<home>/state.db`, its secrets sealed with the key
 * the environment gives or else `<home>/secrets.key` (docs/secrets-at-rest.md).
 */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const env = opts.env ?? process.env;
  const home = resolveHome(opts.home, env);
  ensureHome(home);
  return openSqliteStore(join(home, STATE_DB), {
    secrets: secretsKeyring(join(home, SECRETS_KEY_FILE), env, opts.secrets),
  });
}

/**
 * Re-encrypts every secret in `store` with its current key; the last step of a key rotation
 * (docs/secrets-at-rest.md). Open the store with the old key among the old keys.
 */
export async function rotateSecretsKey(store: Store): Promise<SecretsRotation> {
  if (!(store instanceof SqliteStore)) throw new StoreError("this store cannot re-encrypt its secrets");
  return store.rotateSecretsKey();
}
