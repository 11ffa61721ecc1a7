import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const HOME_ENV = "IMAGECTL_HOME";
export const DEFAULT_HOME_DIR = ".imagectl";

/** `--home DIR` wins over `$IMAGECTL_HOME`, which wins over `~/.imagectl`. Always absolute. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  const fromEnv = env[HOME_ENV];
  if (fromEnv) return resolve(fromEnv);
  return join(homedir(), DEFAULT_HOME_DIR);
}

/**
 * Creates the home directory owner-only (0700). An existing directory is left as it is: it may
 * be one the user chose deliberately, and the files inside are 0600 regardless.
 */
export function ensureHome(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
