/**
 * `imagectl serve` stopped by SIGTERM during start-up (src/cli/shutdown-signals.ts): the process
 * ends promptly and cleanly, whatever step it was in. Before the fix the handler came after
 * start-up, so a signal there took Node's default action and left daemon.json behind.
 * Built bundle (bin/imagectl), real SQLite; a loopback TCP server that never answers stands for a
 * PostgreSQL store that does not respond, to hold start-up in its first step.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { eventually, exited, spawnImagectl, spawnServe } from "../support/imagectl-process.js";

const REPOS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How a stopped serve ended: 0 after its own shutdown, or Node's default action (143) before JS ran. */
function endedCleanly(child: { exitCode: number | null; signalCode: NodeJS.Signals | null }, output: string) {
  if (child.signalCode !== null) return child.signalCode === "SIGTERM" && output === "";
  return (
    child.exitCode === 0 && output.includes("SIGTERM received, stopping") && output.includes(" stopped\n")
  );
}

describe("serve stopped during start-up", () => {
  let home: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "imagectl-startup-signal-"));
    // Enough objects that start-up's first listing takes a while; suspended, so nothing scans.
    const docs = Array.from(
      { length: REPOS },
      (_, i) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: r${i}, namespace: flux-system}
spec: {image: 127.0.0.1:1/team/r${i}, interval: 1h, suspend: true}
`,
    );
    writeFileSync(join(home, "objs.yaml"), docs.join("---\n"));
    const applied = await runCli(["apply", "-f", join(home, "objs.yaml"), "--no-wait", "--home", home]);
    expect(applied.code, applied.stderr).toBe(0);
  }, 60_000);
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("ends cleanly at every moment of start-up, leaving the home usable", async () => {
    const outcomes: string[] = [];
    for (const delayMs of [0, 20, 30, 35, 40, 45, 50, 55, 60, 80, 120, 200, 450, 1000]) {
      const daemon = spawnServe(home);
      await sleep(delayMs);
      daemon.kill("SIGTERM");
      await exited(daemon);
      const output = daemon.output();
      expect(
        endedCleanly(daemon, output),
        `after ${delayMs} ms: ${daemon.exitCode}/${daemon.signalCode}\n${output}`,
      ).toBe(true);
      expect(output).not.toMatch(/^\s+at /m);
      expect(existsSync(join(home, "daemon.json")), `daemon.json left after ${delayMs} ms`).toBe(false);
      outcomes.push(
        daemon.signalCode ??
          (output.includes("listening on") ? "stopped after start" : "stopped in start-up"),
      );
    }
    // The signal met start-up at different points (which ones depends on the machine's speed).
    expect(outcomes.some((o) => o !== "SIGTERM")).toBe(true);

    const db = new Database(join(home, "state.db"), { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect((db.prepare("SELECT count(*) AS n FROM objects").get() as { n: number }).n).toBe(REPOS);
    db.close();
    // The home's lock went with each process: a daemon starts and stops as usual.
    const last = spawnServe(home);
    await last.url();
    last.kill("SIGTERM");
    expect(await exited(last)).toBe(0);
  }, 120_000);

  it("stops while the store does not answer, without waiting for it", async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const daemon = spawnImagectl([
        "serve",
        "--home",
        home,
        "--listen",
        "127.0.0.1:0",
        "--store",
        `postgres://imagectl@127.0.0.1:${port}/imagectl`,
      ]);
      await eventually(
        async () => (held.length > 0 ? true : undefined),
        20_000,
        "serve to connect to the store",
      );
      daemon.kill("SIGTERM");
      expect(await exited(daemon)).toBe(0);
      expect(daemon.output()).toContain("SIGTERM received, stopping");
      expect(daemon.output()).toContain(" stopped\n");
      expect(daemon.output()).not.toContain("listening on");
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 60_000);
});
