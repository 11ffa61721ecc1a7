import { mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CacheLockedError, GitError } from "./errors.js";

const LOCK_FILE = ".imagectl.lock";
const POLL_MS = 100;
const DEFAULT_WAIT_MS = 10 * 60_000;
// A holder writes its pid right after creating the file; one still without a pid after this long was
// left by a process killed in between, and would otherwise hold the cache until the wait runs out.
const EMPTY_LOCK_GRACE_MS = 5_000;

// Runs in this process queue on the promise chain; the lock file only arbitrates between processes.
const inProcess = new Map<string, Promise<unknown>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function emptyAndOld(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > EMPTY_LOCK_GRACE_MS;
}

async function acquireFile(path: string, waitMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(path, "wx");
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    const hasPid = Number.isFinite(pid) && pid > 0;
    // A lock left by a crashed process must not wedge the cache forever.
    if (hasPid ? pid !== process.pid && !isAlive(pid) : await emptyAndOld(path)) {
      await unlink(path).catch(() => {});
      continue;
    }
    if (signal?.aborted) throw new GitError("timeout", "aborted while waiting for the git cache lock");
    if (Date.now() > deadline) {
      throw new CacheLockedError(`git cache ${path} is locked by process ${pid || "unknown"}`);
    }
    await sleep(POLL_MS);
  }
}

/** Serialises all work on one cache directory, within this process and across processes. */
export async function withCacheLock<T>(
  cacheDir: string,
  fn: () => Promise<T>,
  opts: { waitMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const key = resolve(cacheDir);
  const previous = inProcess.get(key) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(async () => {
      await mkdir(key, { recursive: true });
      const path = join(key, LOCK_FILE);
      await acquireFile(path, opts.waitMs ?? DEFAULT_WAIT_MS, opts.signal);
      try {
        return await fn();
      } finally {
        await unlink(path).catch(() => {});
      }
    });
  inProcess.set(key, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(key) === run) inProcess.delete(key);
  }
}
