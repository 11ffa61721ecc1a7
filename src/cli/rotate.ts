/**
 * `imagectl rotate secrets-key`: a new key for the secrets at rest (docs/secrets-at-rest.md), in
 * one command. With the home's key file: a new key is written beside it (`secrets.key.next`),
 * every secret is re-encrypted with it in one store transaction, the old key is kept as
 * `secrets.key.old-<id>` and the new one takes its place. A run stopped midway is finished by the
 * next run, which finds `secrets.key.next` and uses it. With a key from the environment
 * (IMAGECTL_SECRETS_KEY / _FILE), the environment names the new key and the old keys, and the
 * command does the re-encryption.
 *
 * It holds the home's daemon lock while it works: a running daemon keeps the key it loaded (it
 * would seal new secrets with the old key and fail to open the re-encrypted ones), so the command
 * refuses while one runs, and no daemon can start until it is done.
 */
import { existsSync, linkSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { DaemonLock } from "../controller/daemon-lock.js";
import { CommandFailedError } from "./errors.js";
import { globalsOf } from "./globals.js";
import type { CliContext } from "./io.js";
import { progress } from "./progress.js";

// The store, its key module and the daemon lock (better-sqlite3) load only when the command runs.
/** Where a rotation keeps the new key until every secret is sealed with it. */
export const NEXT_KEY_FILE = "secrets.key.next";

export function registerRotate(program: Command, ctx: CliContext): void {
  program
    .command("rotate")
    .description("replace keys")
    .command("secrets-key")
    .description(
      "encrypt every secret with a new key; the old key is kept beside it for older backups (stop the daemon first)",
    )
    .action(async (_f: unknown, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const env = ctx.io.env;
      const p = progress(ctx.io);
      const { STATE_DB } = await import("../store/open.js");
      if (!existsSync(join(g.home, STATE_DB))) {
        p.success(`nothing to rotate: ${g.home} has no store yet`);
        return;
      }
      const { acquireDaemonLock, DaemonLockedError } = await import("../controller/daemon-lock.js");
      const { SECRETS_KEY_ENV, SECRETS_KEY_FILE_ENV } = await import("../store/secrets-key.js");
      let lock: DaemonLock;
      try {
        lock = acquireDaemonLock(g.home);
      } catch (err) {
        if (!(err instanceof DaemonLockedError)) throw err;
        throw new CommandFailedError(
          `${err.message}: stop it first. A running daemon keeps the key it loaded; it would seal new secrets with the old key and could not open the re-encrypted ones`,
        );
      }
      try {
        const fromEnv = env[SECRETS_KEY_ENV] || env[SECRETS_KEY_FILE_ENV];
        if (fromEnv) await reencrypt(ctx, g.home, env, {}, SECRETS_KEY_ENV);
        else await rotateKeyFile(ctx, g.home, env);
      } finally {
        lock.release();
      }
    });
}

async function rotateKeyFile(ctx: CliContext, home: string, env: NodeJS.ProcessEnv): Promise<void> {
  const p = progress(ctx.io);
  const { createKeyFile, SECRETS_KEY_FILE, secretsKeyring, syncDirectory } = await import(
    "../store/secrets-key.js"
  );
  const keyPath = join(home, SECRETS_KEY_FILE);
  const nextPath = join(home, NEXT_KEY_FILE);
  if (!existsSync(keyPath)) {
    if (existsSync(nextPath))
      throw new CommandFailedError(
        `${keyPath} is missing but ${nextPath} exists: restore the key file from its backup, then run this again`,
      );
    p.success("nothing to rotate: no secrets key yet (it is created when the first secret is stored)");
    return;
  }
  const { STATE_DB } = await import("../store/open.js");
  const resumed = existsSync(nextPath);
  if (resumed) p.action(`finishing the rotation begun with ${nextPath}`);
  else createKeyFile(nextPath);
  const oldText = readFileSync(keyPath, "utf8");
  const newText = readFileSync(nextPath, "utf8");
  const oldId = secretsKeyring(keyPath).sealingKey(noCreate).id;
  await reencrypt(
    ctx,
    home,
    env,
    { key: newText.trim(), oldKeys: [oldText.trim()] },
    `the new key ${NEXT_KEY_FILE}`,
  );
  // The old key under a second name first, then the new one over the old name (rename is atomic):
  // there is always a secrets.key, and the old key is never lost.
  const oldPath = join(home, `${SECRETS_KEY_FILE}.old-${oldId}`);
  if (!existsSync(oldPath)) linkSync(keyPath, oldPath);
  renameSync(nextPath, keyPath);
  syncDirectory(home);
  p.success(
    `old key ${oldId} kept in ${oldPath}: keep it (apart from the backups) as long as you keep backups of ${STATE_DB} taken before now, then delete it`,
  );
  p.success(`back up the new key ${keyPath}`);
}

function noCreate(): void {
  throw new CommandFailedError("the secrets key file disappeared during the rotation");
}

async function reencrypt(
  ctx: CliContext,
  home: string,
  env: NodeJS.ProcessEnv,
  secrets: { key?: string; oldKeys?: string[] },
  what: string,
): Promise<void> {
  const { openStore, rotateSecretsKey } = await import("../store/index.js");
  const store = await openStore({ home, env, secrets });
  try {
    const done = await rotateSecretsKey(store);
    progress(ctx.io).success(
      `secrets encrypted with key ${done.keyId} (${what}): ${done.resealed} re-encrypted, ${done.unchanged} already were`,
    );
  } finally {
    await store.close();
  }
}
