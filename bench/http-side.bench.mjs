#!/usr/bin/env node
// Benchmark (the daemon's HTTP side): whole `imagectl serve` processes on loopback, against a
// loopback docker-registry, each figure next to a reference taken in the same run.
//  1. Webhook → new latestRef: push a tag, POST the Docker Hub webhook, watch
//     imagectl_policy_latest_ref_changes_total until it moves; p50/p99 over N pushes.
//     Reference: the interval-only path (ImageRepository `interval: 5s`, no webhook), push → new
//     latestRef, with the push placed at spread-out phases of the interval.
//  2. /metrics scrape time and body size with 1,000 ImageRepositories, 1,000 ImagePolicies and 100
//     ImageUpdateAutomations in the store (all suspended: nothing scans). Reference: /healthz.
//  3. Accepted webhook calls per second (generic Receiver on a suspended repository, 16 at a time),
//     a flood of bad calls (unknown paths, bad bodies) on its own, and webhook → latestRef with and
//     without such a flood running alongside; prints the ratio.
// Needs: npm run build, /usr/bin/docker-registry.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";
import {
  daemonLab,
  eventually,
  fmtStatuses,
  latestRefChanges,
  need,
  pool,
  sleep,
  stats,
  waitLatestRefChange,
} from "./daemon-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const HOOK_SAMPLES = Number(process.env.BENCH_HOOK_SAMPLES ?? 100);
const INTERVAL_SAMPLES = Number(process.env.BENCH_INTERVAL_SAMPLES ?? 10);
const FLOOD_SAMPLES = Number(process.env.BENCH_FLOOD_SAMPLES ?? 30);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const AUTOMATIONS = Number(process.env.BENCH_AUTOMATIONS ?? 100);
const SCRAPES = 50;
const CALLS = 2000;
const CONCURRENCY = 16;
const SAMPLE_TIMEOUT_MS = 30_000;
need("/usr/bin/docker-registry", "docker-registry");
need(join(root, "dist/cli/launcher/launch.cjs"), "the build (npm run build)");

register();
const { startRegistry } = await import("../test/support/registry.ts");
const registry = await startRegistry({ mode: "plain" });
const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-http-"));
const lab = daemonLab(root);
const { daemons, daemonLogs, cli, startDaemon, stopDaemon } = lab;
const stopAll = async () => {
  await Promise.all([...daemons].map(stopDaemon));
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
};
lab.killOnSignal(async () => {
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
});

const waitChange = (url, name, before, everyMs) =>
  waitLatestRefChange(url, name, before, SAMPLE_TIMEOUT_MS, everyMs);

console.log(`load average at start ${loadavg()[0].toFixed(1)} (2 shared cores: read the figures with it)`);
try {
  // ---------------------------------------------------------------- parts 1 and 3: one daemon
  const home = join(dir, "hooks");
  const HUB_TOKEN = "bench-hub-token";
  const GEN_TOKEN = "bench-generic-token";
  cli(["create", "secret", "generic", "hub-token", `--from-literal=token=${HUB_TOKEN}`], home);
  cli(["create", "secret", "generic", "gen-token", `--from-literal=token=${GEN_TOKEN}`], home);
  await registry.pushTags("bench/hooked", ["1.0.0"]);
  await registry.pushTags("bench/polled", ["1.0.0"]);
  await registry.pushTags("bench/idle", ["1.0.0"]);
  const pair = (name, spec) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: ${name}}
spec: {image: ${registry.host}/bench/${name}, insecure: true, ${spec}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: ${name}}
spec:
  imageRepositoryRef: {name: ${name}}
  policy: {semver: {range: '>=1.0.0'}}
`;
  const manifest = join(dir, "hooks.yaml");
  writeFileSync(
    manifest,
    [
      pair("hooked", "interval: 1h"),
      pair("polled", "interval: 5s"),
      pair("idle", "interval: 1h, suspend: true"),
      `apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: hub}
spec:
  type: dockerhub
  secretRef: {name: hub-token}
  resources:
    - {kind: ImageRepository, name: hooked}
`,
      `apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: gen}
spec:
  type: generic
  secretRef: {name: gen-token}
  resources:
    - {kind: ImageRepository, name: idle}
`,
    ].join("---\n"),
  );
  cli(["apply", "-f", manifest, "--no-wait"], home);
  const { child: daemon, url } = await startDaemon(home, ["--poll", "200", "--hook-rate-limit", "1000000"]);
  const hookPath = async (name) =>
    eventually(
      async () => JSON.parse(cli(["get", "receivers", name, "-o", "json"], home)).status?.webhookPath,
      20_000,
      `receiver ${name}'s webhook path`,
      200,
    );
  const hubUrl = `${url}${await hookPath("hub")}`;
  const genUrl = `${url}${await hookPath("gen")}`;
  for (const name of ["hooked", "polled"]) {
    await eventually(
      async () => ((await latestRefChanges(url, name)) >= 1 ? true : undefined),
      20_000,
      `the first latestRef of ${name}`,
    );
  }
  const hubBody = (tag) => JSON.stringify({ push_data: { tag }, repository: { repo_name: "bench/hooked" } });
  const postHub = (tag) =>
    fetch(hubUrl, { method: "POST", headers: { "content-type": "application/json" }, body: hubBody(tag) });

  let hookedTag = 0;
  let lastPost = 0;
  /** One push → webhook → new latestRef; returns ms from the POST to the change being visible. */
  async function hookSample() {
    const tag = `1.0.${++hookedTag}`;
    const before = await latestRefChanges(url, "hooked");
    await registry.pushTags("bench/hooked", [tag]);
    // Calls for one object within HOOK_DEBOUNCE_MS (250 ms) of the last accepted one are dropped,
    // not deferred: a webhook that close behind the previous one would never rescan. Keep clear.
    const gap = lastPost + 300 - performance.now();
    if (gap > 0) await sleep(gap);
    const t0 = performance.now();
    lastPost = t0;
    const res = await postHub(tag);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    return (await waitChange(url, "hooked", before)) - t0;
  }

  // 1. webhook → latestRef
  const hookLat = [];
  const h0 = Date.now();
  for (let i = 0; i < HOOK_SAMPLES; i++) hookLat.push(await hookSample());
  const hookWall = (Date.now() - h0) / 1000;

  // 1'. reference: interval only (5 s), the push at phases spread over the interval
  const pollLat = [];
  for (let i = 0; i < INTERVAL_SAMPLES; i++) {
    const before = await latestRefChanges(url, "polled");
    // The last change was just seen, i.e. right after a scan: wait into the interval first.
    await sleep(((i + 0.5) / INTERVAL_SAMPLES) * 5000);
    await registry.pushTags("bench/polled", [`1.0.${i + 1}`]);
    const t0 = performance.now();
    pollLat.push((await waitChange(url, "polled", before, 20)) - t0);
  }

  // 3. accepted webhook calls per second (generic Receiver, suspended repository)
  const accepted = await pool(CALLS, CONCURRENCY, () =>
    fetch(genUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
  );
  const acceptedRate = CALLS / (accepted.wallMs / 1000);

  // 3'. bad calls: unknown paths (404) and bad bodies to a real receiver (400), on their own
  const bad = (i) => {
    switch (i % 4) {
      case 0:
        return fetch(`${url}/hook/${(i % 1000).toString(16).padStart(64, "0")}`, {
          method: "POST",
          body: "{}",
        });
      case 1:
        return fetch(`${url}/hook/not-a-digest-${i}`, { method: "POST", body: "{}" });
      case 2:
        return fetch(hubUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
      default:
        return fetch(hubUrl, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    }
  };
  const flood = await pool(CALLS, CONCURRENCY, bad);
  const floodRate = CALLS / (flood.wallMs / 1000);

  // 3''. webhook → latestRef, alternately quiet and with a flood of bad calls running alongside
  // (16 at a time from just before the push until the change is seen; at most 2,000 per sample).
  const quiet = [];
  const flooded = [];
  let floodCalls = 0;
  const floodStatuses = {};
  for (let i = 0; i < 2 * FLOOD_SAMPLES; i++) {
    if (i % 2 === 0) {
      quiet.push(await hookSample());
      continue;
    }
    let stop = false;
    let sent = 0;
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (!stop && sent < CALLS) {
        const n = sent++;
        let s;
        try {
          const r = await bad(n);
          await r.arrayBuffer();
          s = r.status;
        } catch {
          s = "error";
        }
        floodStatuses[s] = (floodStatuses[s] ?? 0) + 1;
      }
    });
    await sleep(20);
    try {
      flooded.push(await hookSample());
    } finally {
      stop = true;
      await Promise.all(workers);
      floodCalls += sent;
    }
  }
  // 1''. two pushes 200 ms apart, each with its webhook: is the second one rescanned? (The
  // debounce drops calls within 250 ms of the last accepted one instead of deferring them.)
  const PAIRS = Number(process.env.BENCH_CLOSE_PAIRS ?? 5);
  let lost = 0;
  for (let i = 0; i < PAIRS; i++) {
    await sleep(400);
    const a = `1.0.${++hookedTag}`;
    const b = `1.0.${++hookedTag}`;
    await registry.pushTags("bench/hooked", [a]);
    const ra = await postHub(a);
    await ra.arrayBuffer();
    await sleep(200);
    await registry.pushTags("bench/hooked", [b]);
    const rb = await postHub(b);
    await rb.arrayBuffer();
    if (ra.status !== 200 || rb.status !== 200) throw new Error(`webhook answered ${ra.status}/${rb.status}`);
    lastPost = performance.now();
    const seen = await eventually(
      async () => {
        const tag = JSON.parse(cli(["get", "image", "policy", "hooked", "-o", "json"], home)).status
          ?.latestRef?.tag;
        return tag === b ? true : undefined;
      },
      3000,
      "b",
      250,
    ).catch(() => false);
    if (!seen) {
      lost++;
      // Put the policy back on the newest tag for the next pair (a webhook well clear of the window).
      await sleep(300);
      const before = await latestRefChanges(url, "hooked");
      lastPost = performance.now();
      await (await postHub(b)).arrayBuffer();
      await waitChange(url, "hooked", before);
    }
  }
  const finalRef = JSON.parse(cli(["get", "image", "policy", "hooked", "-o", "json"], home)).status
    ?.latestRef;
  await stopDaemon(daemon);

  // ---------------------------------------------------------------- part 2: a big store
  const bigHome = join(dir, "big");
  const docs = [
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet}
spec: {url: "file://${join(dir, "none.git")}", interval: 1h, ref: {branch: main}, suspend: true}
`,
  ];
  for (let i = 0; i < OBJECTS; i++) {
    docs.push(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app${i}}
spec: {image: ${registry.host}/bench/app${i}, interval: 1h, insecure: true, suspend: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app${i}}
spec:
  imageRepositoryRef: {name: app${i}}
  policy: {semver: {range: 1.x}}
  suspend: true
`);
  }
  for (let i = 0; i < AUTOMATIONS; i++) {
    docs.push(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: auto${i}}
spec:
  interval: 1h
  suspend: true
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {name: bot, email: bot@example.invalid}}
    push: {branch: main}
  update: {path: "./apps/${i}", strategy: Setters}
`);
  }
  const bigManifest = join(dir, "big.yaml");
  writeFileSync(bigManifest, docs.join("---\n"));
  const a0 = Date.now();
  cli(["apply", "-f", bigManifest, "--no-wait"], bigHome);
  const applyS = (Date.now() - a0) / 1000;
  const { child: bigDaemon, url: bigUrl } = await startDaemon(bigHome, []);
  const get = async (path) => {
    const t0 = performance.now();
    const r = await fetch(`${bigUrl}${path}`);
    const body = await r.text();
    return { ms: performance.now() - t0, status: r.status, body };
  };
  // Let the daemon settle (its first pass over the store marks everything suspended).
  await sleep(2000);
  for (let i = 0; i < 3; i++) await get("/metrics");
  const scrapes = [];
  const healths = [];
  let body = "";
  for (let i = 0; i < SCRAPES; i++) {
    const m = await get("/metrics");
    if (m.status !== 200) throw new Error(`/metrics answered ${m.status}`);
    scrapes.push(m.ms);
    body = m.body;
    const h = await get("/healthz");
    if (h.status !== 200) throw new Error(`/healthz answered ${h.status}`);
    healths.push(h.ms);
  }
  const infoSeries = body.split("\n").filter((l) => l.startsWith("gotk_resource_info{")).length;
  const suspendedSeries = body
    .split("\n")
    .filter((l) => l.startsWith("gotk_resource_info{") && l.includes('suspended="true"')).length;
  const scans = /imagectl_scan_duration_seconds_count/.test(body);
  await stopDaemon(bigDaemon);

  // ---------------------------------------------------------------- report
  console.log(
    `\nimagectl serve (node ${process.version}), loopback docker-registry; load average ${loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `\n1. push → webhook → new latestRef (dockerhub Receiver, --poll 200) vs interval-only (interval: 5s)`,
  );
  const hook = stats(hookLat);
  const poll = stats(pollLat);
  console.table({ webhook: hook, "interval 5s": poll });
  console.log(
    `   ${HOOK_SAMPLES} webhook samples took ${hookWall.toFixed(1)} s; p50 ratio interval/webhook ${(poll.p50Ms / hook.p50Ms).toFixed(1)}x; final latestRef ${JSON.stringify(finalRef)}`,
  );
  console.log(
    `   two pushes 200 ms apart, each with its webhook: the second tag not the latestRef 3 s later in ${lost} of ${PAIRS} pairs${lost ? " (webhook accepted, rescan dropped by the 250 ms debounce)" : ""}`,
  );
  console.log(
    `\n2. ${OBJECTS} ImageRepositories + ${OBJECTS} ImagePolicies + ${AUTOMATIONS} ImageUpdateAutomations, all suspended (apply ${applyS.toFixed(1)} s)`,
  );
  const scrape = stats(scrapes);
  const health = stats(healths);
  console.table({ "/metrics": scrape, "/healthz": health });
  console.log(
    `   /metrics body ${(Buffer.byteLength(body) / 1024).toFixed(0)} KiB, ${body.split("\n").length} lines, ${infoSeries} gotk_resource_info series (${suspendedSeries} suspended), scans recorded: ${scans ? "yes" : "no"}; p50 ratio /metrics vs /healthz ${(scrape.p50Ms / health.p50Ms).toFixed(1)}x`,
  );
  console.log(`\n3. webhook calls, ${CONCURRENCY} at a time`);
  console.table({
    "accepted (generic Receiver)": {
      calls: CALLS,
      wallMs: Math.round(accepted.wallMs),
      perSecond: Math.round(acceptedRate),
      statuses: fmtStatuses(accepted.statuses),
    },
    "bad (unknown path, bad body)": {
      calls: CALLS,
      wallMs: Math.round(flood.wallMs),
      perSecond: Math.round(floodRate),
      statuses: fmtStatuses(flood.statuses),
    },
  });
  const q = stats(quiet);
  const f = stats(flooded);
  console.table({ quiet: q, "with flood": f });
  console.log(
    `   flood alongside: ${floodCalls} bad calls over ${FLOOD_SAMPLES} samples (${fmtStatuses(floodStatuses)}); ratio flooded/quiet p50 ${(f.p50Ms / q.p50Ms).toFixed(2)}x, p99 ${(f.p99Ms / q.p99Ms).toFixed(2)}x`,
  );
} catch (err) {
  for (const log of daemonLogs.values()) console.error(`daemon output (tail):\n${log().slice(-2000)}`);
  throw err;
} finally {
  await stopAll();
}
process.exit(0);
