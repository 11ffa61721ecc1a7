import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { repositoryWithPolicy } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// `imagectl serve` on a loopback listener: probes, Prometheus metrics, one daemon per home, SIGTERM.
describe("the daemon's HTTP side", () => {
  let registry: TestRegistry;
  let home: string;
  let daemon: ReturnType<typeof spawnServe>;
  let url: string;

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    await registry.pushTags("team/app", ["1.0.0", "1.1.0"]);
    home = mkdtempSync(join(tmpdir(), "imagectl-serve-http-"));
    const manifest = join(home, "objs.yaml");
    writeFileSync(manifest, repositoryWithPolicy("app", `image: ${registry.host}/team/app, interval: 1h`));
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
    daemon = spawnServe(home);
    url = await daemon.url();
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill("SIGKILL");
      await exited(daemon);
    }
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("answers /healthz and /readyz", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await eventually(
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      10_000,
      "readiness",
    );
    expect(ready).toBe(true);
  });

  it("exports Flux's reconcile metrics and per-object readiness", async () => {
    const body = await eventually(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return text.includes(
          'customresource_kind="ImagePolicy",customresource_version="v1",exported_namespace="flux-system",name="app",ready="True"',
        )
          ? text
          : undefined;
      },
      20_000,
      "the policy to be ready",
    );
    expect(body).toMatch(
      /gotk_reconcile_duration_seconds_count\{kind="ImagePolicy",name="app",namespace="flux-system"\} [1-9]/,
    );
    expect(body).toMatch(
      /gotk_resource_info\{customresource_group="image\.toolkit\.fluxcd\.io",customresource_kind="ImagePolicy",customresource_version="v1",exported_namespace="flux-system",name="app",ready="True",suspended="false"\} 1/,
    );
    expect(body).toMatch(/imagectl_repository_tags\{namespace="flux-system",name="app"\} 2/);
    expect(body).toMatch(/imagectl_policy_latest_ref_changes_total\{namespace="flux-system",name="app"\} 1/);
    expect(body).toContain("imagectl_reconcile_queue_depth");
    expect(body).toMatch(
      new RegExp(
        `imagectl_registry_requests_total\\{host="${registry.host.replace(/\./g, "\\.")}",code="2xx"\\} [1-9]`,
      ),
    );
    expect(body).toContain("process_cpu_seconds_total");
    // No tag ever becomes a label value.
    expect(body).not.toMatch(/="1\.1\.0"/);
  });

  it("refuses a second daemon on the same home, naming the first", async () => {
    const second = await runCli(["serve", "--home", home, "--listen", "127.0.0.1:0"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`a daemon is already running for .*pid ${daemon.pid}`));
  });

  it("rejects a malformed --listen before starting anything", async () => {
    const bad = await runCli(["serve", "--home", home, "--listen", "localhost"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--listen: expected HOST:PORT/);
  });

  it("stops on SIGTERM within a second and closes the listener", async () => {
    const t0 = Date.now();
    daemon.kill("SIGTERM");
    expect(await exited(daemon)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
