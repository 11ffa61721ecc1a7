import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The Flux lab "Automating Image Updates", with imagectl in place of flux and no cluster.
const FILTER = "^main-[a-f0-9]+-(?P<ts>[0-9]+)";

describe("the seed lab end to end against a real registry", () => {
  let registry: TestRegistry;
  let home: string;
  let image: string;
  const cli = (...args: string[]) => runCli([...args, "--home", home]);

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    home = mkdtempSync(join(tmpdir(), "imagectl-lab-"));
    image = `${registry.host}/xxxxx/vote`;
    await registry.pushTags("xxxxx/vote", [
      "main-1a2b3c4-1700000100",
      "main-5d6e7f8-1700000300",
      "main-9a8b7c6-1700000200",
      "latest",
      "v1.0.0",
    ]);
  });
  afterAll(async () => {
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("creates the repository and scans it", async () => {
    const r = await cli("create", "image", "repository", "vote", `--image=${image}`, "--interval=1m");
    expect(r.stderr).toContain("✚ generating ImageRepository");
    expect(r.stderr).toContain("✔ ImageRepository created");
    expect(r.stderr).toContain("✔ scan fetched 5 tags");
    expect(r.code).toBe(0);

    const get = await cli("get", "image", "repository");
    expect(get.code).toBe(0);
    const [header, row] = get.stdout.trim().split("\n");
    expect(header).toMatch(/^NAME\s+LAST SCAN\s+SUSPENDED\s+READY\s+MESSAGE$/);
    expect(row).toMatch(
      /^vote\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+False\s+True\s+successful scan: found 5 tags/,
    );
    const bare = await cli("get", "image", "repository", "--no-header", "-A");
    expect(bare.stdout.trim()).toMatch(/^flux-system\s+vote\s+\S+\s+False\s+True/);
  });

  it("creates the numerical policy and selects the newest main-<sha>-<ts> tag", async () => {
    const r = await cli(
      "create",
      "image",
      "policy",
      "vote",
      "--image-ref=vote",
      "--select-numeric=asc",
      `--filter-regex=${FILTER}`,
      "--filter-extract=$ts",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`✔ selected ref ${image}:main-5d6e7f8-1700000300`);

    const get = await cli("get", "images", "policy");
    expect(get.stdout).toMatch(
      new RegExp(`^vote\\s+${image.replace(/\./g, "\\.")}\\s+main-5d6e7f8-1700000300\\s+True`, "m"),
    );
  });

  it("sees a newer tag after `reconcile image repository`", async () => {
    await registry.pushTags("xxxxx/vote", ["main-0f0f0f0-1700000400"]);
    const r = await cli("reconcile", "image", "repository", "vote");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("✔ scan fetched 6 tags");
    const pol = JSON.parse((await cli("get", "image", "policy", "vote", "-o", "json")).stdout);
    expect(pol.status.latestRef).toEqual({ name: image, tag: "main-0f0f0f0-1700000400" });
    expect(pol.status.observedPreviousRef.tag).toBe("main-5d6e7f8-1700000300");
  });

  it("with `serve` running, a pushed tag shows up by itself after the interval", async () => {
    // Shorten the interval the daemon will honour, exactly as a user would.
    expect(
      (await cli("create", "image", "repository", "vote", `--image=${image}`, "--interval=2s")).code,
    ).toBe(0);
    const daemon = spawnServe(home);
    try {
      await eventually(
        async () => (daemon.output().includes("imagectl serve") ? true : undefined),
        15_000,
        "daemon start",
      );
      await registry.pushTags("xxxxx/vote", ["main-abcdef0-1700000500"]);
      const tag = await eventually(
        async () => {
          const pol = JSON.parse((await cli("get", "image", "policy", "vote", "-o", "json")).stdout);
          return pol.status.latestRef.tag === "main-abcdef0-1700000500"
            ? pol.status.latestRef.tag
            : undefined;
        },
        20_000,
        "the daemon to pick up the new tag",
      );
      expect(tag).toBe("main-abcdef0-1700000500");
      // While the daemon runs, the CLI hands `reconcile` to it and waits for the result.
      const r = await cli("reconcile", "image", "repository", "vote");
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("✔ scan fetched 7 tags");
    } finally {
      daemon.kill("SIGTERM");
      expect(await exited(daemon)).toBe(0);
    }
    expect(daemon.output()).toContain("stopped");
  });

  it("`run --once` reconciles everything and exits 0 when all is Ready", async () => {
    const r = await cli("run", "--once");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ImageRepository\s+flux-system\/vote\s+True/);
    expect(r.stdout).toMatch(/ImagePolicy\s+flux-system\/vote\s+True\s+Latest image tag for/);
  });

  it("suspends, resumes and deletes as Flux does", async () => {
    const sus = await cli("suspend", "image", "repository", "vote");
    expect(sus.code).toBe(0);
    expect(sus.stderr).toContain("✔ image repository suspended");
    expect((await cli("get", "image", "repository")).stdout).toMatch(/^vote\s+\S+\s+True\s+/m);
    const refused = await cli("reconcile", "image", "repository", "vote");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("resource is suspended");
    const res = await cli("resume", "image", "repository", "vote");
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("✔ scan fetched");
    expect((await cli("delete", "image", "policy", "vote")).code).toBe(2); // no TTY, no -s
    const del = await cli("delete", "image", "policy", "vote", "-s");
    expect(del.code).toBe(0);
    const gone = await cli("get", "image", "policy", "vote");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`ImagePolicy object 'vote' not found in "flux-system" namespace`);
  });
});
