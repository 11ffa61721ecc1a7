import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";

/**
 * A running `imagectl serve` announces itself in $IMAGECTL_HOME/daemon.json so that CLI commands
 * hand reconciliation to it instead of doing the work twice. Only the holder of the daemon lock
 * (daemon-lock.ts) writes it; readers check it with a schema since any file can be edited.
 */
const daemonInfoSchema = z.object({
  pid: z.number().check(z.int(), z.positive()),
  startedAt: z.string(),
  /** The HTTP listener's base URL, when it has one. */
  url: z.optional(z.string()),
});
export type DaemonInfo = z.infer<typeof daemonInfoSchema>;

const FILE = "daemon.json";

export function announceDaemon(home: string, extra: { url?: string } = {}): () => void {
  const path = join(home, FILE);
  const info: DaemonInfo = { pid: process.pid, startedAt: new Date().toISOString(), ...extra };
  writeFileSync(path, JSON.stringify(info), { mode: 0o600 });
  return () => {
    if (readDaemonInfo(home)?.pid === process.pid) rmSync(path, { force: true });
  };
}

/** What daemon.json says, whether or not that process still lives; undefined when unreadable. */
export function readDaemonInfo(home: string): DaemonInfo | undefined {
  try {
    const parsed = daemonInfoSchema.safeParse(JSON.parse(readFileSync(join(home, FILE), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The live daemon for this home, or undefined (a stale file from a killed daemon is ignored). */
export function runningDaemon(home: string): DaemonInfo | undefined {
  const info = readDaemonInfo(home);
  if (!info || info.pid === process.pid) return undefined;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
