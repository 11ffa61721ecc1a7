// The policy evaluation pool (src/controller/policy-pool.ts) against evaluating in the caller's
// thread, in one process, with the built modules and the bundled worker (what `serve` runs):
//  1. a normal policy (numerical asc over the timestamp extracted from main-<sha>-<ts> tags) on
//     100k and 1M tags: time per evaluation, inline vs on a warm worker (ratio), the first call
//     on a cold pool, and how long the caller's event loop was held (what the daemon feels);
//  2. a pathological policy (`^(a+)+$` over 100k tags of thirty a's) with a 5 s limit: the longest
//     event-loop stall inline vs with the pool, and how fast close() (SIGTERM) ends it.
// Exits non-zero only when it cannot run (missing build, disagreeing answers).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateTags } from "./tag-list.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const worker = join(root, "dist", "cli", "imagectl-policy-worker.cjs");
if (!existsSync(worker)) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
const load = (p) => import(pathToFileURL(join(root, "dist", p)).href);
const { evaluatePolicy, useLinearRegexpEngine } = await load("policy/index.js");
const { turnOnLinearRegexpEngine } = await load("cli/launcher/regexp-flags.js");
const { PolicyEvaluationPool } = await load("controller/policy-pool.js");
// As the CLI's entry does in the main thread (and the worker's entry in each worker).
useLinearRegexpEngine(turnOnLinearRegexpEngine);

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `fn` while sampling the event loop: [result, ms, longest stall in ms]. */
async function timed(fn) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  // A timer that must fire: a held loop shows up as one long delay.
  const tick = setInterval(() => {}, 5);
  // Let the sampling start: a stall before the first sample would go unseen.
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  // One more turn so that a stall right at the end is recorded.
  await new Promise((r) => setTimeout(r, 10));
  clearInterval(tick);
  h.disable();
  return [result, ms, h.max / 1e6];
}

const normal = {
  policy: { numerical: { order: "asc" } },
  filterTags: { pattern: "^main-[a-f0-9]+-(?P<ts>[0-9]+)", extract: "$ts" },
  top: 1,
  limitMs: 60_000,
};

console.log("normal policy (numerical asc over an extracted timestamp)");
for (const n of [100_000, 1_000_000]) {
  const tags = generateTags(n);
  const pool = new PolicyEvaluationPool({ script: pathToFileURL(worker), size: 1, inlineMaxChars: 0 });
  const [, coldMs] = await timed(() => pool.evaluate(normal, tags));
  const inline = [];
  const inPool = [];
  const inlineStall = [];
  const poolStall = [];
  for (let i = 0; i < RUNS; i++) {
    const [a, aMs, aStall] = await timed(async () => evaluatePolicy(normal, tags));
    const [b, bMs, bStall] = await timed(() => pool.evaluate(normal, tags));
    if (!a.ok || !b.ok || a.selection.latest !== b.selection.latest) {
      console.error(
        `answers differ: inline ${JSON.stringify(a).slice(0, 200)}, pool ${JSON.stringify(b).slice(0, 200)}`,
      );
      process.exit(2);
    }
    inline.push(aMs);
    inPool.push(bMs);
    inlineStall.push(aStall);
    poolStall.push(bStall);
  }
  await pool.close();
  const [mi, mp] = [median(inline), median(inPool)];
  console.log(`${n.toLocaleString("en")} tags, median of ${RUNS}:`);
  console.log(
    `  inline (caller's thread)   ${mi.toFixed(0).padStart(6)} ms   loop held ${median(inlineStall).toFixed(0)} ms`,
  );
  console.log(
    `  pool, warm worker          ${mp.toFixed(0).padStart(6)} ms   loop held ${median(poolStall).toFixed(0)} ms`,
  );
  console.log(`  pool, cold (first call)    ${coldMs.toFixed(0).padStart(6)} ms`);
  console.log(`  ratio pool/inline          ${(mp / mi).toFixed(2)}`);
}

const LIMIT_MS = 5_000;
const slowTags = Array.from({ length: 100_000 }, (_, i) => `${"a".repeat(30)}-${i}`);
const bad = { policy: { alphabetical: {} }, filterTags: { pattern: "^(a+)+$" }, limitMs: LIMIT_MS };
console.log(`\npathological policy (^(a+)+$ over 100,000 tags of thirty a's), limit ${LIMIT_MS / 1000} s`);
{
  const [a, aMs, aStall] = await timed(async () => evaluatePolicy(bad, slowTags));
  const pool = new PolicyEvaluationPool({ script: pathToFileURL(worker), size: 1, inlineMaxChars: 0 });
  const [b, bMs, bStall] = await timed(() => pool.evaluate(bad, slowTags));
  if (a.ok || b.ok || a.failure.kind !== "deadline" || b.failure.kind !== "deadline") {
    console.error("the pathological policy did not run into its limit");
    process.exit(2);
  }
  // SIGTERM in `serve` closes the pool: how long until a running selection is gone.
  const running = pool.evaluate(bad, slowTags).catch(() => "closed");
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  await pool.close();
  await running;
  const closeMs = performance.now() - t0;
  console.log(
    `  inline: stopped after ${aMs.toFixed(0)} ms (${a.failure.counts.read} tags read), loop held ${aStall.toFixed(0)} ms`,
  );
  console.log(
    `  pool:   stopped after ${bMs.toFixed(0)} ms (${b.failure.counts?.read ?? "?"} tags read), loop held ${bStall.toFixed(0)} ms`,
  );
  console.log(`  pool.close() during a running selection: ${closeMs.toFixed(0)} ms`);
  console.log(
    `  (without a limit the whole list takes ~${(((aMs / a.failure.counts.read) * 100_000) / 1000).toFixed(0)} s, extrapolated)`,
  );
}
