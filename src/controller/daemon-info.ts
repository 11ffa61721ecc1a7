import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A running `imagectl serve` announces itself in $IMAGECTL_HOME/daemon.json so that CLI commands
 * hand reconciliation to it instead of doing the work twice.
 */
export interface DaemonInfo {
  pid: number;
  startedAt: string;
}

const FILE = "daemon.json";

export function announceDaemon(home: string): () => void {
  const path = join(home, FILE);
  writeFileSync(path, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }), {
    mode: 0o600,
  });
  return () => {
    try {
      const info = JSON.parse(readFileSync(path, "utf8")) as DaemonInfo;
      if (info.pid === process.pid) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
}

/** The live daemon for this home, or undefined (a stale file from a killed daemon is ignored). */
export function runningDaemon(home: string): DaemonInfo | undefined {
  let info: DaemonInfo;
  try {
    info = JSON.parse(readFileSync(join(home, FILE), "utf8")) as DaemonInfo;
  } catch {
    return undefined;
  }
  if (info.pid === process.pid) return undefined;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
