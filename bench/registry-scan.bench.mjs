#!/usr/bin/env node
// Benchmark: `imagectl policy test --image` (whole process) vs `skopeo list-tags` on the same
// loopback docker-registry repository of 1k / 20k / 50k tags, side by side in one run.
// Target: imagectl within 1.5x of skopeo at 20k tags. Prints medians, ratios and peak RSS.
// Needs: npm run build, /usr/bin/docker-registry, skopeo, /usr/bin/time (Debian `time`).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-registry-"));
const data = join(dir, "data");
mkdirSync(data);
const emptyDockerConfig = join(dir, "docker");
mkdirSync(emptyDockerConfig);
const port = await freePort();
writeFileSync(
  join(dir, "config.yml"),
  `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${data}\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench-only\n`,
);
const registry = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
const base = `http://127.0.0.1:${port}`;
const cleanup = () => {
  registry.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);
// The running registry child keeps the event loop alive, so "exit" would never come by itself:
// end explicitly when done, and on Ctrl-C / SIGTERM too (signals skip "exit" handlers).
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/v2/`)).status === 200) break;
  } catch {}
  if (i > 500) {
    console.error("cannot run: docker-registry did not start");
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 20));
}

const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
async function pushBlob(repo, buf) {
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  await post.arrayBuffer();
  const loc = new URL(post.headers.get("location"), base);
  loc.searchParams.set("digest", sha(buf));
  const put = await fetch(loc, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: buf,
  });
  if (put.status !== 201) throw new Error(`blob PUT ${put.status}`);
  return sha(buf);
}

/** One image pushed through the API, then `count` tags written into the storage layout. */
async function seed(repo, count) {
  const config = Buffer.from(
    JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
  );
  const layer = Buffer.from("bench layer");
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: await pushBlob(repo, config),
        size: config.length,
      },
      layers: [
        {
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: await pushBlob(repo, layer),
          size: layer.length,
        },
      ],
    }),
  );
  const res = await fetch(`${base}/v2/${repo}/manifests/v0.0.0`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    body: manifest,
  });
  if (res.status !== 201) throw new Error(`manifest PUT ${res.status}`);
  const digest = res.headers.get("docker-content-digest");
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
  const image = `127.0.0.1:${port}/${repo}`;
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
