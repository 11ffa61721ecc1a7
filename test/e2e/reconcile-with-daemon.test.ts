import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { createBareRepoAt, headOf } from "../support/git-repo.js";
import { eventually, exited, type spawnImagectl, spawnServe } from "../support/imagectl-process.js";
import { fleetAutomation } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// `reconcile image repository` prints the same lines whether it does the work itself or a running
// `imagectl serve` does: the scan, then each dependent it woke (policy, then that policy's automation).
describe("reconcile image repository with and without a daemon", () => {
  let registry: TestRegistry;
  let dir: string;
  const homes = { alone: "", served: "" };
  let daemon: ReturnType<typeof spawnImagectl> | undefined;

  const setUp = async (home: string) => {
    mkdirSync(home);
    const bare = await createBareRepoAt(home, "fleet.git", {
      "deploy.yaml": `image: ${registry.host}/fleet/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`,
    });
    const manifest = join(home, "objects.yaml");
    writeFileSync(manifest, fleetAutomation(bare, `${registry.host}/fleet/app`));
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
    return bare;
  };

  /** The command's lines, with what differs between two homes by nature (commit ids) masked. */
  const reconcileLines = async (home: string) => {
    const r = await runCli(["reconcile", "image", "repository", "app", "--home", home]);
    expect(r.code).toBe(0);
    return (r.stdout + r.stderr).replace(/commit '[0-9a-f]{7}'/g, "commit '<id>'").split("\n");
  };

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    await registry.pushTags("fleet/app", ["1.0.0", "1.1.0"]);
    dir = mkdtempSync(join(tmpdir(), "imagectl-daemon-lines-"));
    homes.alone = join(dir, "alone");
    homes.served = join(dir, "served");
    await setUp(homes.alone);
    const servedBare = await setUp(homes.served);
    // Both homes start from the same settled state: 1.1.0 selected and written back.
    expect((await runCli(["reconcile", "image", "repository", "app", "--home", homes.alone])).code).toBe(0);
    const seeded = await headOf(servedBare, "main");
    daemon = spawnServe(homes.served, ["--poll", "100"]);
    await eventually(
      async () => ((await headOf(servedBare, "main")) !== seeded ? true : undefined),
      60_000,
      "the daemon to write 1.1.0 back",
    );
  }, 120_000);
  afterAll(async () => {
    if (daemon) {
      daemon.kill("SIGTERM");
      await exited(daemon);
    }
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a new tag: the scan, the policy's new selection and the automation's push, either way", async () => {
    await registry.pushTags("fleet/app", ["1.2.0"]);
    const alone = await reconcileLines(homes.alone);
    const served = await reconcileLines(homes.served);
    expect(served).toEqual(alone);
    expect(alone).toEqual([
      "► annotating ImageRepository app in flux-system namespace",
      "✔ ImageRepository annotated",
      "◎ waiting for ImageRepository reconciliation",
      `► ImagePolicy flux-system/app: Latest image tag for ${registry.host}/fleet/app resolved to 1.2.0 (previously ${registry.host}/fleet/app:1.1.0)`,
      "► ImageUpdateAutomation flux-system/app: repository up-to-date: pushed commit '<id>' to branch 'main'",
      "✔ scan fetched 3 tags",
      "",
    ]);
    expect(daemon?.exitCode).toBeNull();
  }, 60_000);

  it("nothing new: the scan alone, either way", async () => {
    const alone = await reconcileLines(homes.alone);
    const served = await reconcileLines(homes.served);
    expect(served).toEqual(alone);
    expect(alone.filter((l) => l.startsWith("► Image"))).toEqual([]);
    expect(daemon?.exitCode).toBeNull();
  }, 60_000);
});
