#!/usr/bin/env node
// Benchmark (issue 16: digest_facts were never pruned): the fact cache's sweep
// (src/controller/digest-fact-pruner.ts) over BENCH_FACTS rows (default 100,000: 100
// ImageRepositories x 1,000 tags, one digest and one `created` fact per tag) on a SQLite home and,
// when the PostgreSQL server binaries are installed, on a throwaway PostgreSQL cluster.
//   1. a whole sweep after 10 repositories were deleted and 10% of every other one's tags
//      vanished (rows removed at once, rows marked), then a sweep with nothing to do; the longest
//      batch is how long one batch holds the store's write lock;
//   2. a scan's store writes (putTags + putResolvedDigests of 1,000 tags) alone, the reference,
//      beside the same followed by one prune batch, as the daemon interleaves them.
// Store calls in this process (through tsx), no registry. Needs: nothing built.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { register } from "tsx/esm/api";

const FACTS = Number(process.env.BENCH_FACTS ?? 100_000);
const TAGS = 1000;
const REPOS = Math.max(20, Math.round(FACTS / TAGS));
register();
const { openStore } = await import("../src/store/index.ts");
const { DigestFactPruner, liveRepositories } = await import("../src/controller/digest-fact-pruner.ts");

const DAY = 86_400_000;
const T0 = Date.parse("2026-03-01T00:00:00Z");
const iso = (ms) => new Date(ms).toISOString();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

async function fill(store) {
  const objs = [];
  for (let r = 0; r < REPOS; r++)
    objs.push({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: `r${r}`, namespace: "bench" },
      spec: { image: `ghcr.io/bench/r${r}`, interval: "1h", suspend: true },
    });
  await store.apply(objs);
  const tags = Array.from({ length: TAGS }, (_, i) => `v${i}`);
  for (let r = 0; r < REPOS; r++) {
    const digests = Object.fromEntries(tags.map((t, i) => [t, `sha256:${r}-${i}`]));
    await store.putTags("bench", `r${r}`, tags, { revision: `x${r}`, scanTime: iso(T0) });
    await store.putResolvedDigests("bench", `r${r}`, digests, iso(T0));
    await store.putDigestFacts(
      `ghcr.io/bench/r${r}`,
      "created",
      Object.fromEntries(Object.values(digests).map((d) => [d, { value: "{}", checkedAt: iso(T0) }])),
    );
  }
  return tags;
}

/** A sweep batch by batch, timing each. */
async function timedSweep(store, nowMs) {
  const pruner = new DigestFactPruner(store, { now: () => new Date(nowMs) });
  const totals = { examined: 0, removed: 0, batches: 0 };
  const batchMs = [];
  const started = performance.now();
  for (;;) {
    const t = performance.now();
    const done = await pruner.step(totals);
    batchMs.push(performance.now() - t);
    if (done) break;
  }
  return { ...totals, totalMs: performance.now() - started, longestMs: Math.max(...batchMs) };
}

async function run(label, store) {
  console.log(`\n--- ${label}: ${REPOS} repositories x ${TAGS} tags = ${REPOS * TAGS} fact rows ---`);
  const tags = await fill(store);
  for (let r = 0; r < 10; r++) await store.delete("ImageRepository", "bench", `r${r}`);
  const kept = tags.slice(0, TAGS * 0.9);
  for (let r = 10; r < REPOS; r++)
    await store.putTags("bench", `r${r}`, kept, { revision: `y${r}`, scanTime: iso(T0 + DAY) });
  const first = await timedSweep(store, T0 + DAY);
  const steady = await timedSweep(store, T0 + 2 * DAY);
  const late = await timedSweep(store, T0 + 9 * DAY);
  for (const [what, s] of [
    ["sweep 1 (deleted repositories' rows removed, vanished tags marked)", first],
    ["sweep 2 (nothing to do)", steady],
    ["sweep 3 (marked rows past the retention removed)", late],
  ])
    console.log(
      `${what}: ${s.examined} rows in ${s.batches} batches, ${s.removed} removed: ${ms(s.totalMs)} ` +
        `(${((s.totalMs / Math.max(1, s.examined)) * 1000).toFixed(2)} µs/row, longest batch ${ms(s.longestMs)})`,
    );

  // A scan's store writes, alone and followed by one prune batch (the daemon's interleaving).
  const pruner = new DigestFactPruner(store, { now: () => new Date(T0 + 10 * DAY) });
  const alone = [];
  const withPrune = [];
  for (let i = 0; i < 30; i++) {
    const r = 10 + (i % (REPOS - 10));
    const digests = Object.fromEntries(kept.map((t, j) => [t, `sha256:${r}-${j}`]));
    const scan = async () => {
      await store.putTags("bench", `r${r}`, kept, { revision: `z${i}`, scanTime: iso(T0 + i) });
      await store.putResolvedDigests("bench", `r${r}`, digests, iso(T0 + i));
    };
    let t = performance.now();
    await scan();
    alone.push(performance.now() - t);
    t = performance.now();
    await scan();
    await pruner.step();
    withPrune.push(performance.now() - t);
  }
  const a = median(alone);
  const w = median(withPrune);
  console.log(
    `scan's store writes (${kept.length} tags), median of 30: alone ${ms(a)} (reference), ` +
      `with a prune batch ${ms(w)}: ratio ${(w / a).toFixed(2)}`,
  );
  const live = await liveRepositories(store);
  console.log(`live repositories listed per batch: ${live.length}`);
}

const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-prune-"));
try {
  const store = await openStore({ home: join(dir, "sqlite") });
  try {
    await run("SQLite", store);
  } finally {
    await store.close();
  }
  if (existsSync("/usr/lib/postgresql")) {
    const { startPostgres } = await import("../test/support/postgres.ts");
    const { openPostgresStore } = await import("../src/store/postgres/store.ts");
    const { parsePostgresUrl } = await import("../src/store/url.ts");
    const server = await startPostgres();
    try {
      const db = await server.createDatabase();
      const pgStore = await openPostgresStore(parsePostgresUrl(server.url(db), {}), {
        env: { IMAGECTL_SECRETS_KEY: Buffer.alloc(32, 3).toString("base64") },
      });
      try {
        await run("PostgreSQL", pgStore);
      } finally {
        await pgStore.close();
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
