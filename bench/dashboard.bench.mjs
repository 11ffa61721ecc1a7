#!/usr/bin/env node
// Benchmark (the dashboard): a whole `imagectl serve` process with 1,000 ImageRepositories
// (50 tags each), 1,000 ImagePolicies and 100 ImageUpdateAutomations in its store, as the
// http-side bench seeds them (all suspended, so the daemon leaves the seeded statuses alone),
// plus statuses, latest-ref events and pushed runs written straight into the store.
//  1. Server time per page: request → last byte over loopback, p50/p99.
//     Reference: /healthz, in the same run.
//  2. Browser load-to-ready per page in Debian's chromium (playwright-core): navigation start →
//     load event end (HTML, the one stylesheet and script), p50/p99. Reference: /healthz as a page.
// Target: every page ready in under 300 ms. Needs: npm run build, /usr/bin/chromium.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";
import { need } from "./daemon-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const AUTOMATIONS = Number(process.env.BENCH_AUTOMATIONS ?? 100);
const TAGS = 50;
const SERVER_SAMPLES = Number(process.env.BENCH_SERVER_SAMPLES ?? 40);
const BROWSER_SAMPLES = Number(process.env.BENCH_BROWSER_SAMPLES ?? 15);
const TARGET_MS = 300;
const NS = "flux-system";
need("/usr/bin/chromium", "Debian's chromium");
need(join(root, "dist/cli/launcher/launch.cjs"), "the build (npm run build)");

register();
const { openStore } = await import("../src/store/index.ts");
const { chromium } = await import("playwright-core");
const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-dashboard-"));
const home = join(dir, "home");
let daemon;
let browser;
const cleanUp = async () => {
  await browser?.close().catch(() => {});
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((r) => daemon.once("exit", r));
    daemon.kill("SIGTERM");
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
};
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    daemon?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => Math.round(x * 10) / 10;
const stats = (xs) => ({
  n: xs.length,
  p50Ms: ms(pct(xs, 50)),
  p99Ms: ms(pct(xs, 99)),
  maxMs: ms(Math.max(...xs)),
});

/** The fleet, its statuses and history, written through the store API (what the daemon would have written). */
async function seed() {
  const store = await openStore({ home, env: {} });
  const t0 = Date.parse("2026-12-01T00:00:00Z");
  const iso = (ms) => new Date(ms).toISOString();
  const ready = (message) => ({
    type: "Ready",
    status: "True",
    reason: "Succeeded",
    message,
    lastTransitionTime: iso(t0),
  });
  const objs = [
    {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: "fleet", namespace: NS },
      spec: { url: "file:///nowhere.git", interval: "1h", ref: { branch: "main" }, suspend: true },
    },
  ];
  for (let i = 0; i < OBJECTS; i++) {
    objs.push({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: `app${i}`, namespace: NS },
      spec: { image: `registry.example/bench/app${i}`, interval: "1h", suspend: true },
    });
    objs.push({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: { name: `app${i}`, namespace: NS },
      spec: { imageRepositoryRef: { name: `app${i}` }, policy: { semver: { range: "1.x" } }, suspend: true },
    });
  }
  for (let i = 0; i < AUTOMATIONS; i++) {
    objs.push({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageUpdateAutomation",
      metadata: { name: `auto${i}`, namespace: NS },
      spec: {
        interval: "1h",
        suspend: true,
        sourceRef: { kind: "GitRepository", name: "fleet" },
        git: { commit: { author: { name: "bot", email: "bot@example.invalid" } }, push: { branch: "main" } },
        update: { path: `./apps/${i}`, strategy: "Setters" },
      },
    });
  }
  await store.apply(objs);
  const tags = Array.from({ length: TAGS }, (_, j) => `1.${Math.floor(j / 10)}.${j % 10}`).concat([
    "latest",
    "2.0.0",
  ]);
  for (let i = 0; i < OBJECTS; i++) {
    const name = `app${i}`;
    const image = `registry.example/bench/${name}`;
    await store.putTags(NS, name, tags, { revision: `r${i}`, scanTime: iso(t0) });
    await store.updateStatus("ImageRepository", NS, name, {
      lastScanResult: { tagCount: tags.length, scanTime: iso(t0) },
      conditions: [ready(`successful scan: found ${tags.length} tags`)],
    });
    await store.updateStatus("ImagePolicy", NS, name, {
      latestRef: { name: image, tag: "1.4.9" },
      observedPreviousRef: { name: image, tag: "1.4.8" },
      conditions: [ready(`Latest image tag for ${image} resolved to 1.4.9 (previously ${image}:1.4.8)`)],
    });
    for (const [k, tag] of ["1.4.8", "1.4.9"].entries()) {
      await store.recordEvent({
        kind: "ImagePolicy",
        namespace: NS,
        name,
        type: "Normal",
        reason: "Succeeded",
        message: `Latest image tag for ${image} resolved to ${tag}`,
        at: iso(t0 + (i * 2 + k) * 60_000),
      });
    }
  }
  for (let i = 0; i < AUTOMATIONS; i++) {
    const commit = `${i.toString(16).padStart(8, "0")}${"c".repeat(32)}`;
    await store.updateStatus("ImageUpdateAutomation", NS, `auto${i}`, {
      lastAutomationRunTime: iso(t0),
      lastPushCommit: commit,
      lastPushTime: iso(t0),
      conditions: [ready("repository up-to-date")],
    });
    await store.recordRun({
      namespace: NS,
      name: `auto${i}`,
      startedAt: iso(t0),
      finishedAt: iso(t0),
      outcome: "pushed",
      commit,
      branch: "main",
      message: `Update app${i} to 1.4.9`,
      changes: [
        { file: `apps/${i}/deploy.yaml`, setter: `${NS}:app${i}`, oldValue: "1.4.8", newValue: "1.4.9" },
      ],
    });
  }
  await store.close();
}

async function startDaemon() {
  const child = spawn(join(root, "bin/imagectl"), ["serve", "--home", home, "--listen", "127.0.0.1:0"], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    try {
      const info = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8"));
      if (info.pid === child.pid) return { child, url: info.url };
    } catch {}
    await sleep(50);
  }
  throw new Error(`serve did not announce its listener: ${err}`);
}

const PAGES = [
  "/",
  "/repositories",
  `/repositories/${NS}/app500`,
  "/policies",
  `/policies/${NS}/app500`,
  "/automations",
  `/automations/${NS}/auto50`,
  "/events",
];

console.log(`load average at start ${loadavg()[0].toFixed(1)} (2 shared cores: read the figures with it)`);
try {
  const s0 = Date.now();
  await seed();
  const seedS = (Date.now() - s0) / 1000;
  const started = await startDaemon();
  daemon = started.child;
  const url = started.url;
  await sleep(1500); // the daemon's first pass over the store (everything suspended)

  // What is measured must be the real pages: check that they say what was seeded.
  const expectations = {
    "/": "resolved to 1.4.9",
    "/repositories": "Page 1 of 10",
    [`/repositories/${NS}/app500`]: "1.4.9",
    "/policies": "<svg",
    [`/policies/${NS}/app500`]: 'The policy selects <strong class="mono">1.4.9</strong>',
    "/automations": "Update app0 to 1.4.9",
    [`/automations/${NS}/auto50`]: "Update app50 to 1.4.9",
    "/events": "resolved to 1.4.9",
  };
  for (const [path, text] of Object.entries(expectations)) {
    const body = await (await fetch(`${url}${path}`)).text();
    if (!body.includes(text)) throw new Error(`${path} does not contain ${JSON.stringify(text)}`);
  }

  // ---------------------------------------------------------------- 1. server time
  const server = {};
  const sizes = {};
  for (const path of ["/healthz", ...PAGES]) {
    const xs = [];
    for (let i = 0; i < SERVER_SAMPLES + 3; i++) {
      const t = performance.now();
      const r = await fetch(`${url}${path}`);
      const body = await r.text();
      if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${body.slice(0, 300)}`);
      if (i >= 3) xs.push(performance.now() - t);
      sizes[path] = Buffer.byteLength(body);
    }
    server[path] = stats(xs);
  }

  // ---------------------------------------------------------------- 2. browser load-to-ready
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage();
  const loaded = {};
  for (const path of ["/healthz", ...PAGES]) {
    const xs = [];
    for (let i = 0; i < BROWSER_SAMPLES + 2; i++) {
      await page.goto(`${url}${path}`, { waitUntil: "load" });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        return nav.loadEventEnd - nav.startTime;
      });
      if (i >= 2) xs.push(t);
    }
    loaded[path] = stats(xs);
  }

  // ---------------------------------------------------------------- report
  console.log(
    `\nimagectl serve (node ${process.version}), ${OBJECTS} ImageRepositories (${TAGS + 2} tags each) + ${OBJECTS} ImagePolicies + ${AUTOMATIONS} ImageUpdateAutomations, seeded in ${seedS.toFixed(1)} s; load average ${loadavg()[0].toFixed(1)}`,
  );
  console.log("\n1. server time, request to last byte over loopback (reference: /healthz)");
  console.table(
    Object.fromEntries(
      Object.entries(server).map(([p, s]) => [
        p,
        {
          ...s,
          KiB: Math.round(sizes[p] / 1024),
          "p50 vs /healthz": `${(s.p50Ms / server["/healthz"].p50Ms).toFixed(1)}x`,
        },
      ]),
    ),
  );
  console.log("\n2. chromium, navigation start to load event end (reference: /healthz as a page)");
  console.table(
    Object.fromEntries(
      Object.entries(loaded).map(([p, s]) => [
        p,
        {
          ...s,
          "p50 vs /healthz": `${(s.p50Ms / loaded["/healthz"].p50Ms).toFixed(1)}x`,
          [`p99 < ${TARGET_MS} ms`]: s.p99Ms < TARGET_MS ? "yes" : "NO",
        },
      ]),
    ),
  );
  const slow = PAGES.filter((p) => loaded[p].p99Ms >= TARGET_MS);
  console.log(
    slow.length === 0
      ? `\nevery page ready in under ${TARGET_MS} ms (p99)`
      : `\nover the ${TARGET_MS} ms target (p99): ${slow.join(", ")}`,
  );
} finally {
  await cleanUp();
}
