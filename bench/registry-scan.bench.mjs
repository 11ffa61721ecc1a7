#!/usr/bin/env node
// Benchmark: `imagectl policy test --image` (whole process) vs `skopeo list-tags` on the same
// loopback docker-registry repository of 1k / 20k / 50k tags, side by side in one run.
// Target: imagectl within 1.5x of skopeo at 20k tags. Prints medians, ratios and peak RSS.
// Needs: npm run build, /usr/bin/docker-registry, skopeo, /usr/bin/time (Debian `time`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRegistryLab } from "./registry-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SIZES = [1_000, 20_000, 50_000];
const RUNS = Number(process.env.BENCH_RUNS ?? 11);

function need(path, what) {
  if (!existsSync(path)) {
    console.error(`cannot run: ${what} (${path}) is missing`);
    process.exit(2);
  }
}
need("/usr/bin/docker-registry", "Debian docker-registry");
need("/usr/bin/skopeo", "skopeo");
need("/usr/bin/time", "GNU time (Debian package `time`)");
need(join(root, "dist/cli/launcher/launch.cjs"), "the build (run `npm run build`)");

const lab = await startRegistryLab("imagectl-bench-registry-");
const { dir, data, host } = lab;
const emptyDockerConfig = lab.dockerConfig;
const base = `http://${host}`;

/** One image pushed through the API, then `count` tags written into the storage layout. */
async function seed(repo, count) {
  const digest = await lab.pushImage(repo, "v0.0.0", undefined, await lab.pushBlob(repo, lab.layer));
  const hex = digest.slice("sha256:".length);
  const tagsDir = join(data, "docker/registry/v2/repositories", repo, "_manifests/tags");
  for (let i = 1; i < count; i++) {
    const tag = `v${Math.floor(i / 10000)}.${Math.floor(i / 100) % 100}.${i % 100}`;
    mkdirSync(join(tagsDir, tag, "current"), { recursive: true });
    writeFileSync(join(tagsDir, tag, "current/link"), digest);
    mkdirSync(join(tagsDir, tag, "index/sha256", hex), { recursive: true });
    writeFileSync(join(tagsDir, tag, "index/sha256", hex, "link"), digest);
  }
}

/** Runs a command under GNU time; returns wall ms and peak RSS KiB. */
function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], {
    cwd: root,
    // A cache directory of the bench's own: the first (sanity) run of each size writes the
    // code cache, as a user's first run does; the timed runs then read it.
    env: { ...process.env, DOCKER_CONFIG: emptyDockerConfig, XDG_CACHE_HOME: join(dir, "cache") },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const rss = Number(r.stderr.trim().split("\n").at(-1));
  return { ms, rss, stdout: r.stdout };
}

console.log(`load average at start ${loadavg()[0].toFixed(1)} (2 shared cores: read the figures with it)`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const size of SIZES) {
  const repo = `bench/app${size}`;
  const t0 = performance.now();
  await seed(repo, size);
  console.log(`seeded ${repo} with ${size} tags in ${Math.round(performance.now() - t0)} ms`);
  // A steady registry for both sides: the new tag directories written out (writeback during the
  // timed runs slows every answer, which flatters the ratio) and its Go heap grown by a few
  // listings of the repository.
  spawnSync("sync");
  for (let i = 0; i < 20; i++) await (await fetch(`${base}/v2/${repo}/tags/list`)).arrayBuffer();
  const image = `${host}/${repo}`;
  // The installed command: bin/imagectl (launcher) → dist/cli/launcher/launch.cjs → bundle + code cache.
  const imagectl = join(root, "bin/imagectl");
  const ours = ["policy", "test", "--image", image, "--select-alpha", "asc", "-o", "json"];
  const theirs = ["list-tags", "--tls-verify=false", `docker://${image}`];
  // Sanity: both see every tag.
  const check = JSON.parse(timed(imagectl, ours).stdout);
  const skopeoTags = JSON.parse(timed("/usr/bin/skopeo", theirs).stdout).Tags.length;
  if (check.counts.read !== size || skopeoTags !== size) {
    throw new Error(
      `tag counts differ: imagectl ${check.counts.read}, skopeo ${skopeoTags}, expected ${size}`,
    );
  }
  const a = [];
  const b = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate so background load hits both sides alike.
    a.push(timed(imagectl, ours));
    b.push(timed("/usr/bin/skopeo", theirs));
  }
  const row = {
    tags: size,
    imagectlMs: Math.round(median(a.map((x) => x.ms))),
    skopeoMs: Math.round(median(b.map((x) => x.ms))),
    imagectlPeakRssMiB: Math.round(Math.max(...a.map((x) => x.rss)) / 1024),
    skopeoPeakRssMiB: Math.round(Math.max(...b.map((x) => x.rss)) / 1024),
  };
  row.ratio = Number((row.imagectlMs / row.skopeoMs).toFixed(2));
  rows.push(row);
}

// Node's own start-up on this machine, for reading the figures under load.
const nodeStart = Math.round(
  median(Array.from({ length: RUNS }, () => timed(process.execPath, ["-e", "0"]).ms)),
);
console.log(`\nbare \`node -e 0\`: ${nodeStart} ms (median); load average ${loadavg()[0].toFixed(1)}`);
console.log(
  `\nimagectl policy test --image (node ${process.version}) vs skopeo list-tags; median of ${RUNS} runs each`,
);
console.table(rows);
const target = rows.find((r) => r.tags === 20_000);
console.log(`20k tags: ratio ${target.ratio} (target <= 1.5) -> ${target.ratio <= 1.5 ? "met" : "MISSED"}`);
process.exit(0);
