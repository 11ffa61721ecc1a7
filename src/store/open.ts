import { join } from "node:path";
import { ensureHome, resolveHome } from "./home.js";
import { openSqliteStore } from "./sqlite/store.js";
import type { Store } from "./store.js";

export const STATE_DB = "state.db";

export interface OpenStoreOptions {
  /** The `--home` flag; falls back to $IMAGECTL_HOME, then ~/.imagectl. */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

/** The store every command and the daemon use: `<home>/state.db`. */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const home = resolveHome(opts.home, opts.env);
  ensureHome(home);
  return openSqliteStore(join(home, STATE_DB));
}
