import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { createBareRepoAt, showFile } from "../support/git-repo.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { fleetAutomation } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The whole path, all real: a tag pushed to docker-registry → the registry's webhook (Docker Hub's
// documented payload) POSTed to the daemon → rescan → new latest ref → commit pushed to the Git
// remote → alerts delivered to a loopback receiver, signed as generic-hmac.
const TOKEN = "hook-T0KEN-canary";
const HMAC_KEY = "alert-K3Y-canary";

interface Delivery {
  headers: IncomingMessage["headers"];
  body: string;
}

describe("registry webhook → rescan → latest ref → Git commit → alert", () => {
  let registry: TestRegistry;
  let dir: string;
  let home: string;
  let bare: string;
  let daemon: ReturnType<typeof spawnServe>;
  let url: string;
  let hookUrl: string;
  let sink: Server;
  const deliveries: Delivery[] = [];

  const metric = async (re: RegExp): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(re.exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    await registry.pushTags("fleet/app", ["1.0.0"]);
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const sinkAddr = sink.address();
    const sinkPort = typeof sinkAddr === "object" && sinkAddr ? sinkAddr.port : 0;

    dir = mkdtempSync(join(tmpdir(), "imagectl-webhook-"));
    home = join(dir, "home");
    bare = await createBareRepoAt(dir, "fleet.git", {
      "deploy.yaml": `image: ${registry.host}/fleet/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`,
    });
    for (const [name, literal] of [
      ["hook-token", `token=${TOKEN}`],
      ["alert-key", `token=${HMAC_KEY}`],
    ]) {
      expect(
        (
          await runCli([
            "create",
            "secret",
            "generic",
            name as string,
            `--from-literal=${literal}`,
            "--home",
            home,
          ])
        ).code,
      ).toBe(0);
    }
    const manifest = join(dir, "objects.yaml");
    writeFileSync(
      manifest,
      `${fleetAutomation(bare, `${registry.host}/fleet/app`)}---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: hub}
spec:
  type: dockerhub
  secretRef: {name: hook-token}
  resources:
    - {kind: ImageRepository, name: app}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: sink}
spec:
  type: generic-hmac
  address: http://127.0.0.1:${sinkPort}/alerts
  secretRef: {name: alert-key}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: changes}
spec:
  providerRef: {name: sink}
  eventSeverity: info
  eventSources:
    - {kind: ImagePolicy, name: '*'}
    - {kind: ImageUpdateAutomation, name: '*'}
`,
    );
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
    daemon = spawnServe(home, ["--poll", "200", "--hook-rate-limit", "60"]);
    url = await daemon.url();
    const path = await eventually(
      async () => {
        const r = await runCli(["get", "receivers", "hub", "-o", "json", "--home", home]);
        return (JSON.parse(r.stdout) as { status?: { webhookPath?: string } }).status?.webhookPath;
      },
      20_000,
      "the receiver's webhook path",
    );
    hookUrl = `${url}${path}`;
    // The first scan settles on 1.0.0; the Git file already says 1.0.0.
    await eventually(
      async () =>
        (await metric(/imagectl_scan_duration_seconds_count\{namespace="flux-system",name="app"\} (\d+)/)) >=
        1
          ? true
          : undefined,
      20_000,
      "the first scan",
    );
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill("SIGTERM");
      await exited(daemon);
    }
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const push = (tag: string) =>
    fetch(hookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        push_data: { tag, pusher: "ci" },
        repository: { repo_name: "fleet/app", repo_url: "https://hub.docker.com/r/fleet/app" },
      }),
    });

  it("a push and its webhook end in a commit on the remote and a signed alert, without waiting for the interval", async () => {
    const scansBefore = await metric(
      /imagectl_scan_duration_seconds_count\{namespace="flux-system",name="app"\} (\d+)/,
    );
    const seenBefore = deliveries.length;
    await registry.pushTags("fleet/app", ["1.1.0"]);
    // A burst of 50 calls for one push: accepted, and collapsed into one rescan.
    const answers = await Promise.all(Array.from({ length: 50 }, () => push("1.1.0")));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const file = await eventually(
      async () => {
        const text = await showFile(bare, "main", "deploy.yaml");
        return text.includes(":1.1.0 ") ? text : undefined;
      },
      20_000,
      "the commit on the remote",
    );
    expect(file).toBe(`image: ${registry.host}/fleet/app:1.1.0 # {"$imagepolicy": "flux-system:app"}\n`);
    const scans =
      (await metric(/imagectl_scan_duration_seconds_count\{namespace="flux-system",name="app"\} (\d+)/)) -
      scansBefore;
    expect(scans).toBeGreaterThanOrEqual(1);
    expect(scans).toBeLessThanOrEqual(2);

    const alerts = await eventually(
      async () => {
        // Only what this push caused (earlier events were delivered too, e.g. the policy's wait for its first scan).
        const news = deliveries
          .slice(seenBefore)
          .filter((d) => d.body.includes("resolved to 1.1.0") || d.body.includes("pushed commit"));
        const kinds = news.map(
          (d) => (JSON.parse(d.body) as { involvedObject: { kind: string } }).involvedObject.kind,
        );
        return kinds.includes("ImagePolicy") && kinds.includes("ImageUpdateAutomation") ? news : undefined;
      },
      20_000,
      "both alerts",
    );
    for (const d of alerts) {
      expect(d.headers["x-signature"]).toBe(
        `sha256=${createHmac("sha256", HMAC_KEY).update(d.body).digest("hex")}`,
      );
    }
    const policyEvent = JSON.parse(
      alerts.find((d) => JSON.parse(d.body).involvedObject.kind === "ImagePolicy")?.body ?? "{}",
    );
    expect(policyEvent).toMatchObject({
      involvedObject: { kind: "ImagePolicy", namespace: "flux-system", name: "app" },
      severity: "info",
      reason: "Succeeded",
      reportingController: "image-reflector-controller",
      metadata: { revision: `${registry.host}/fleet/app:1.1.0` },
    });
    const pushEvent = JSON.parse(
      alerts.find((d) => JSON.parse(d.body).involvedObject.kind === "ImageUpdateAutomation")?.body ?? "{}",
    );
    expect(pushEvent.metadata.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(
      await metric(
        /imagectl_alert_deliveries_total\{namespace="flux-system",provider="sink",result="delivered"\} (\d+)/,
      ),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await metric(/imagectl_webhook_requests_total\{outcome="accepted"\} (\d+)/),
    ).toBeGreaterThanOrEqual(50);
  }, 60_000);

  it("two pushes announced 200 ms apart both reach Git (a call inside a debounce window is not lost)", async () => {
    await registry.pushTags("fleet/app", ["1.2.0"]);
    expect((await push("1.2.0")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    await registry.pushTags("fleet/app", ["1.3.0"]);
    expect((await push("1.3.0")).status).toBe(200);
    await eventually(
      async () => ((await showFile(bare, "main", "deploy.yaml")).includes(":1.3.0 ") ? true : undefined),
      20_000,
      "the second push on the remote",
    );
  }, 30_000);

  it("bad calls change nothing and are answered 404, 400, 413 and 429", async () => {
    const before = await showFile(bare, "main", "deploy.yaml");
    expect((await fetch(`${url}/hook/${"0".repeat(64)}`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await fetch(`${url}/hook/not-a-digest`, { method: "POST", body: "{}" })).status).toBe(404);
    expect(
      (await fetch(hookUrl, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })).status,
    ).toBe(400);
    expect(
      (await fetch(hookUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }))
        .status,
    ).toBe(400);
    const big = await fetch(hookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pad: "x".repeat(300 * 1024) }),
    });
    expect(big.status).toBe(413);
    const flood = await Promise.all(Array.from({ length: 80 }, () => push("1.1.0")));
    expect(flood.some((r) => r.status === 429)).toBe(true);
    expect(await metric(/imagectl_webhook_requests_total\{outcome="rate_limited"\} (\d+)/)).toBeGreaterThan(
      0,
    );
    expect(await metric(/imagectl_webhook_requests_total\{outcome="not_found"\} (\d+)/)).toBe(2);
    expect(await showFile(bare, "main", "deploy.yaml")).toBe(before);
  });

  it("never shows the tokens in logs, metrics or status", async () => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const receiver = (await runCli(["get", "receivers", "-o", "yaml", "--home", home])).stdout;
    const providers = (await runCli(["get", "alert-providers", "-o", "yaml", "--home", home])).stdout;
    for (const text of [daemon.output(), metrics, receiver, providers]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(HMAC_KEY);
    }
  });
});
