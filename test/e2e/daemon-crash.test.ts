import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { repositoryWithPolicy } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

describe("a daemon killed with SIGKILL mid-scan", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let home: string;

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    proxy = await startFaultProxy(registry.url);
    home = mkdtempSync(join(tmpdir(), "imagectl-kill-"));
    await registry.pushTags("team/app", ["1.0.0", "1.1.0"]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("restarts with a consistent store and finishes the scan", async () => {
    const manifest = join(home, "objs.yaml");
    writeFileSync(
      manifest,
      repositoryWithPolicy("app", `image: ${proxy.host}/team/app, interval: 1m, timeout: 30s`),
    );
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
    // every registry request now hangs for a while: the first scan is in flight when we kill
    proxy.inject(...Array.from({ length: 6 }, () => ({ kind: "slow" as const, delayMs: 4000 })));
    const first = spawnServe(home);
    await eventually(async () => (proxy.seen.length > 0 ? true : undefined), 20_000, "the scan to start");
    first.kill("SIGKILL");
    await exited(first);

    const db = new Database(join(home, "state.db"), { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
    const repo = JSON.parse(
      (await runCli(["get", "image", "repository", "app", "-o", "json", "--home", home])).stdout,
    );
    expect(repo.status?.lastScanResult).toBeUndefined();

    const second = spawnServe(home);
    try {
      const tag = await eventually(
        async () => {
          const r = await runCli(["get", "image", "policy", "app", "-o", "json", "--home", home]);
          return JSON.parse(r.stdout).status?.latestRef?.tag as string | undefined;
        },
        60_000,
        "the restarted daemon to select a tag",
      );
      expect(tag).toBe("1.1.0");
    } finally {
      second.kill("SIGTERM");
      expect(await exited(second)).toBe(0);
    }
  });
});
