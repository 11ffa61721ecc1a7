import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { announceDaemon } from "../../src/controller/daemon-info.js";
import { acquireDaemonLock, DaemonLockedError } from "../../src/controller/daemon-lock.js";

const dirs: string[] = [];
const home = () => {
  const d = mkdtempSync(join(tmpdir(), "imagectl-lock-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// A separate process that takes the lock, says so, and holds it until killed. It drops the handle
// and forces a garbage collection: the lock must not depend on the caller keeping the handle.
const HOLDER = `
  const { acquireDaemonLock } = await import(${JSON.stringify(new URL("../../src/controller/daemon-lock.ts", import.meta.url).pathname)});
  try { acquireDaemonLock(process.argv[1]); globalThis.gc(); console.log("won"); setInterval(() => {}, 1000); }
  catch (e) { console.log("lost:" + e.name); process.exit(0); }
`;

function holder(dir: string) {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", HOLDER, dir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const said = new Promise<string>((resolve) => {
    child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
  });
  return { child, said };
}

describe("one daemon per home", () => {
  it("of processes started at the same instant, exactly one holds the lock", async () => {
    for (let round = 0; round < 5; round++) {
      const dir = home();
      const procs = [holder(dir), holder(dir), holder(dir)];
      let said: string[];
      try {
        said = await Promise.all(procs.map((p) => p.said));
      } finally {
        for (const p of procs) p.child.kill("SIGKILL");
      }
      expect(said.filter((s) => s === "won")).toHaveLength(1);
      expect(said.filter((s) => s === "lost:DaemonLockedError")).toHaveLength(2);
    }
  }, 60_000);

  it("a holder killed with SIGKILL never blocks the next start", async () => {
    const dir = home();
    const first = holder(dir);
    const exited = new Promise((r) => first.child.once("exit", r));
    try {
      expect(await first.said).toBe("won");
      expect(() => acquireDaemonLock(dir)).toThrow(DaemonLockedError);
    } finally {
      first.child.kill("SIGKILL");
    }
    await exited;
    const lock = acquireDaemonLock(dir);
    lock.release();
  });

  it("names the holder from daemon.json", () => {
    const dir = home();
    const lock = acquireDaemonLock(dir);
    const withdraw = announceDaemon(dir, { url: "http://127.0.0.1:9292" });
    try {
      // Another process sees the lock taken; in this process a second connection is refused too.
      expect(() => acquireDaemonLock(dir)).toThrow(new RegExp(`already running for .*pid ${process.pid}`));
    } finally {
      withdraw();
      lock.release();
    }
    acquireDaemonLock(dir).release();
  });
});
