// `imagectl policy test` vs a grep|sed|sort|tail pipeline doing the same selection:
// numerical asc over the timestamp extracted from main-<sha>-<ts> tags.
// Times whole processes (median of several runs, side by side) on 100k and 1M tags,
// and peak RSS via Debian's /usr/bin/time. Target: imagectl <= 0.5x the pipeline.
// Exits non-zero only when it cannot run (missing build, tool, or disagreeing answers).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateTags } from "./tag-list.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The installed command: bin/imagectl → dist/cli/launcher/launch.cjs → the policy-test bundle.
const bin = join(root, "bin", "imagectl");
if (!existsSync(join(root, "dist", "cli", "launcher", "launch.cjs"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = [100_000, 1_000_000];
const PATTERN = "^main-[a-f0-9]+-(?P<ts>[0-9]+)";

function run(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env: { ...process.env, LC_ALL: "C" },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    console.error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    process.exit(2);
  }
  return { ms, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function peakRssKiB(cmd, args) {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) return NaN;
  const lines = r.stderr.trim().split("\n");
  return Number(lines[lines.length - 1]);
}

for (const tool of ["grep", "sed", "sort", "tail", "sh"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
    console.error(`reference tool ${tool} is missing`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-policy-"));
try {
  for (const n of SIZES) {
    const file = join(dir, `tags-${n}.txt`);
    writeFileSync(file, `${generateTags(n).join("\n")}\n`);
    const imagectl = [
      "policy",
      "test",
      "--tags-file",
      file,
      "--select-numeric",
      "asc",
      "--filter-regex",
      PATTERN,
      "--filter-extract",
      "$ts",
      "-o",
      "json",
    ];
    const pipeline = `grep -E '^main-[a-f0-9]+-[0-9]+' '${file}' | sed -E 's/^main-[a-f0-9]+-([0-9]+).*/\\1 &/' | sort -n | tail -1`;

    // Warm the page cache and check both answer the same.
    const ours = JSON.parse(run(bin, imagectl).stdout).latest;
    const theirs = run("sh", ["-c", pipeline]).stdout.trim().split(" ")[1];
    if (ours !== theirs) {
      console.error(`answers differ: imagectl ${ours}, pipeline ${theirs}`);
      process.exit(2);
    }
    const a = [];
    const b = [];
    const floor = [];
    for (let i = 0; i < RUNS; i++) {
      a.push(run(bin, imagectl).ms);
      b.push(run("sh", ["-c", pipeline]).ms);
      floor.push(run(process.execPath, ["-e", "0"]).ms);
    }
    const ma = median(a);
    const mb = median(b);
    const rssA = peakRssKiB(bin, imagectl);
    const rssB = peakRssKiB("sh", ["-c", pipeline]);
    console.log(`${n.toLocaleString("en")} tags (selected ${ours}), median of ${RUNS}:`);
    console.log(
      `  imagectl policy test   ${ma.toFixed(0).padStart(6)} ms   peak RSS ${(rssA / 1024).toFixed(0)} MiB`,
    );
    console.log(
      `  grep|sed|sort|tail     ${mb.toFixed(0).padStart(6)} ms   peak RSS ${(rssB / 1024).toFixed(0)} MiB (largest process)`,
    );
    // Informational: an empty Node.js process, the floor no Node CLI can go below.
    console.log(
      `  (node -e 0)            ${median(floor).toFixed(0).padStart(6)} ms   ratio ${(median(floor) / mb).toFixed(2)}`,
    );
    console.log(
      // The issue's target is set on the 1M file; 100k is reported for scale.
      `  ratio imagectl/pipeline ${(ma / mb).toFixed(2)} ${n >= 1_000_000 ? `(target <= 0.50: ${ma / mb <= 0.5 ? "met" : "missed"})` : "(reported only)"}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
