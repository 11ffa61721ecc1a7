#!/usr/bin/env node
// Benchmark (issue: the reflector runs): 1,000 ImageRepositories with 100 tags each on a loopback
// docker-registry and 1,000 ImagePolicies, reconciled by ONE `imagectl run --once` process.
// Target: under 30 s wall and under 300 MB peak RSS on 2 cores. Reference in the same run:
// `skopeo list-tags` over the same 1,000 repositories, one process per repository, 8 at a time
// (what a cron script without imagectl would do just to read the tags).
// Needs: npm run build, docker-registry, skopeo, /usr/bin/time.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";
import { need } from "./daemon-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPOS = Number(process.env.BENCH_REPOS ?? 1000);
const TAGS = Number(process.env.BENCH_TAGS ?? 100);
need("/usr/bin/docker-registry", "docker-registry");
need("/usr/bin/skopeo", "skopeo");
need("/usr/bin/time", "GNU time");
need(join(root, "dist/cli/bin.js"), "the build (npm run build)");

register();
const { startRegistry } = await import("../test/support/registry.ts");
const registry = await startRegistry({ mode: "plain" });
const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-once-"));
const home = join(dir, "home");
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

try {
  const t0 = Date.now();
  const tags = Array.from(
    { length: TAGS },
    (_, i) => `main-${(i * 7919).toString(16).padStart(7, "0")}-${1700000000 + i}`,
  );
  const docs = [];
  // One repository is seeded through the registry; the others are copies of its storage layout
  // (same blobs, same tags), which is what the registry itself would have written.
  await registry.seedTags("bench/app0", tags);
  const repos = join(registry.rootDir, "docker/registry/v2/repositories/bench");
  for (let r = 0; r < REPOS; r++) {
    if (r > 0) cpSync(join(repos, "app0"), join(repos, `app${r}`), { recursive: true });
    docs.push(
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: app${r}}\nspec: {image: ${registry.host}/bench/app${r}, interval: 1h}`,
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: app${r}}\nspec:\n  imageRepositoryRef: {name: app${r}}\n  filterTags: {pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts'}\n  policy: {numerical: {order: asc}}`,
    );
  }
  const manifest = join(dir, "objects.yaml");
  writeFileSync(manifest, docs.join("\n---\n"));
  const applied = spawnSync("bin/imagectl", ["apply", "-f", manifest, "--no-wait", "--home", home], {
    cwd: root,
    encoding: "utf8",
  });
  if (applied.status !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  console.log(
    `seeded ${REPOS} repositories x ${TAGS} tags and applied ${REPOS * 2} objects in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const timed = (cmd, args) => {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cmd, ...args], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const [wall, rss] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
    return { status: r.status, wall, rssMb: rss / 1024, stdout: r.stdout, stderr: r.stderr };
  };
  const once = timed("bin/imagectl", ["run", "--once", "--home", home]);
  const summary = once.stdout.trim().split("\n").pop();
  if (once.status !== 0) console.log(`run --once exited ${once.status}: ${once.stderr.slice(0, 2000)}`);
  const size = ["state.db", "state.db-wal"]
    .map((f) => join(home, f))
    .filter(existsSync)
    .reduce((n, f) => n + statSync(f).size, 0);

  // reference: skopeo list-tags per repository, 8 concurrent processes
  const s0 = Date.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < REPOS) {
        const r = next++;
        const code = await new Promise((resolve) =>
          spawn("skopeo", ["list-tags", "--tls-verify=false", `docker://${registry.host}/bench/app${r}`], {
            stdio: "ignore",
          }).on("exit", resolve),
        );
        if (code !== 0) failed++;
      }
    }),
  );
  const skopeoWall = (Date.now() - s0) / 1000;

  console.log(
    `imagectl run --once: ${once.wall.toFixed(2)} s wall, peak RSS ${once.rssMb.toFixed(0)} MB, store ${(size / 1048576).toFixed(1)} MB  (${summary})`,
  );
  console.log(
    `reference skopeo list-tags x${REPOS} (8 parallel${failed ? `, ${failed} failed` : ""}): ${skopeoWall.toFixed(2)} s wall`,
  );
  console.log(
    `ratio imagectl/skopeo: ${(once.wall / skopeoWall).toFixed(2)}x   targets: < 30 s (${once.wall < 30 ? "met" : "MISSED"}), < 300 MB (${once.rssMb < 300 ? "met" : "MISSED"})`,
  );
} finally {
  await registry.stop();
}
