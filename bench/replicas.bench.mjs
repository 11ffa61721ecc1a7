#!/usr/bin/env node
// Benchmark (issue: several replicas on PostgreSQL): BENCH_REPOS ImageRepositories (default
// 3,000) with BENCH_TAGS tags each (default 100) on a loopback docker-registry, and as many
// ImagePolicies, reconciled by `imagectl serve` daemons until every policy has selected a tag:
//   1. one replica on a throwaway PostgreSQL cluster,
//   2. three replicas on it (throughput ratio three/one; the machine has 2 cores, so the ratio
//      measures what sharing costs and gains there, not what 3 machines would give),
//   3. one daemon on the home's SQLite file: the reference for run 1 (same work, same process).
// For the PostgreSQL runs: the server's CPU seconds (its processes' utime+stime from /proc) and
// the peak number of connections to the database. Scale down with BENCH_REPOS=1000.
// Needs: npm run build, docker-registry, PostgreSQL server binaries (/usr/lib/postgresql).
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { register } from "tsx/esm/api";
import { need } from "./daemon-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPOS = Number(process.env.BENCH_REPOS ?? 3000);
const TAGS = Number(process.env.BENCH_TAGS ?? 100);
const CONCURRENT = process.env.BENCH_CONCURRENT ?? "4";
need("/usr/bin/docker-registry", "docker-registry");
need("/usr/lib/postgresql", "PostgreSQL server binaries");
need(join(root, "dist/cli/bin.js"), "the build (npm run build)");

register();
const { startRegistry } = await import("../test/support/registry.ts");
const { startPostgres } = await import("../test/support/postgres.ts");
const registry = await startRegistry({ mode: "plain" });
const server = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-replicas-"));
const KEY = Buffer.alloc(32, 1).toString("base64");
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function serve(home, args) {
  const child = spawn(
    "bin/imagectl",
    ["serve", "--home", home, "--listen", "127.0.0.1:0", "--concurrent", CONCURRENT, ...args],
    {
      cwd: root,
      env: { ...process.env, IMAGECTL_SECRETS_KEY: KEY },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  child.stderr.on("data", (d) => {
    err = (err + d.toString()).slice(-4000);
  });
  children.add(child);
  const exited = new Promise((r) => child.on("exit", r));
  return {
    async stop() {
      child.kill("SIGTERM");
      await exited;
      children.delete(child);
    },
    tail: () => err,
  };
}

function apply(manifest, storeArgs) {
  return new Promise((resolve, reject) => {
    const c = spawn("bin/imagectl", ["apply", "-f", manifest, "--no-wait", ...storeArgs], {
      cwd: root,
      env: { ...process.env, IMAGECTL_SECRETS_KEY: KEY },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    c.stderr.on("data", (d) => {
      err += d;
    });
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`apply failed: ${err}`))));
  });
}

/** CPU seconds of the PostgreSQL server: postmaster and all its children. */
function postgresCpuSeconds() {
  const pidFile = join(server.dir, "data", "postmaster.pid");
  const master = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  const hz = 100;
  let ticks = 0;
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      if (Number(p) !== master && ppid !== master) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / hz;
}

const SELECTED = `SELECT count(*)::integer AS n FROM objects o JOIN object_status s ON s.object_id = o.id
  WHERE o.kind = 'ImagePolicy' AND s.status LIKE '%"latestRef"%'`;

async function runPostgres(label, replicas, manifest) {
  const db = await server.createDatabase(`bench_${replicas}`);
  const url = server.url(db);
  const daemons = Array.from({ length: replicas }, (_, i) =>
    serve(join(dir, `${db}-r${i}`), ["--store", url, "--replica-id", `r${i}`]),
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Wait until every replica has its heartbeat in (so the work is split from the start).
  for (let i = 0; i < 200; i++) {
    const r = await client
      .query("SELECT count(*)::integer AS n FROM replicas WHERE expires_at > now()")
      .catch(() => undefined);
    if (r?.rows[0].n === replicas) break;
    await sleep(100);
  }
  const cpu0 = postgresCpuSeconds();
  const t0 = Date.now();
  await apply(manifest, ["--store", url, "--home", join(dir, `${db}-cli`)]);
  let peakConnections = 0;
  for (;;) {
    const [done, conns] = await Promise.all([
      client.query(SELECTED),
      client.query("SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = $1", [db]),
    ]);
    peakConnections = Math.max(peakConnections, conns.rows[0].n);
    if (done.rows[0].n === REPOS) break;
    if (Date.now() - t0 > 30 * 60_000)
      throw new Error(`${label}: not done after 30 min: ${daemons[0].tail()}`);
    await sleep(250);
  }
  const wall = (Date.now() - t0) / 1000;
  const cpu = postgresCpuSeconds() - cpu0;
  const perReplica = await client.query(
    "SELECT last_reconciled_by AS r, count(*)::integer AS n FROM leases GROUP BY 1 ORDER BY 1",
  );
  await client.end();
  await Promise.all(daemons.map((d) => d.stop()));
  return { wall, cpu, peakConnections, split: perReplica.rows.map((r) => `${r.r}=${r.n}`).join(" ") };
}

async function runSqlite(manifest) {
  const home = join(dir, "sqlite-home");
  // As for PostgreSQL: the daemon runs first, the clock covers apply and the reconciles.
  const daemon = serve(home, []);
  for (let i = 0; i < 200 && !existsSync(join(home, "daemon.json")); i++) await sleep(100);
  const t0 = Date.now();
  await apply(manifest, ["--home", home]);
  const db = new Database(join(home, "state.db"), { readonly: true, fileMustExist: true });
  for (;;) {
    const n = db.prepare(SELECTED.replace("::integer", "")).get().n;
    if (n === REPOS) break;
    if (Date.now() - t0 > 30 * 60_000) throw new Error(`sqlite: not done after 30 min: ${daemon.tail()}`);
    await sleep(250);
  }
  const wall = (Date.now() - t0) / 1000;
  db.close();
  await daemon.stop();
  return { wall };
}

try {
  const t0 = Date.now();
  const tags = Array.from({ length: TAGS }, (_, i) => `1.${Math.floor(i / 10)}.${i % 10}`);
  await registry.seedTags("bench/app0", tags);
  const repos = join(registry.rootDir, "docker/registry/v2/repositories/bench");
  const docs = [];
  for (let r = 0; r < REPOS; r++) {
    if (r > 0) cpSync(join(repos, "app0"), join(repos, `app${r}`), { recursive: true });
    docs.push(
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: app${r}}\nspec: {image: ${registry.host}/bench/app${r}, interval: 1h, insecure: true}`,
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: app${r}}\nspec: {imageRepositoryRef: {name: app${r}}, policy: {semver: {range: 1.x}}}`,
    );
  }
  const manifest = join(dir, "objects.yaml");
  writeFileSync(manifest, docs.join("\n---\n"));
  console.log(
    `seeded ${REPOS} repositories x ${TAGS} tags in ${((Date.now() - t0) / 1000).toFixed(1)} s; serve --concurrent ${CONCURRENT} per process`,
  );

  const one = await runPostgres("1 replica", 1, manifest);
  const three = await runPostgres("3 replicas", 3, manifest);
  const lite = await runSqlite(manifest);
  const objects = REPOS * 2;
  const rate = (w) => (objects / w).toFixed(0);
  console.log(
    `PostgreSQL, 1 replica : ${one.wall.toFixed(1)} s wall, ${rate(one.wall)} objects/s; PostgreSQL CPU ${one.cpu.toFixed(1)} s; peak connections ${one.peakConnections}  (${one.split})`,
  );
  console.log(
    `PostgreSQL, 3 replicas: ${three.wall.toFixed(1)} s wall, ${rate(three.wall)} objects/s; PostgreSQL CPU ${three.cpu.toFixed(1)} s; peak connections ${three.peakConnections}  (${three.split})`,
  );
  console.log(`reference SQLite, 1 daemon: ${lite.wall.toFixed(1)} s wall, ${rate(lite.wall)} objects/s`);
  console.log(
    `ratio throughput 3 replicas / 1 replica: ${(one.wall / three.wall).toFixed(2)}x   ratio wall PostgreSQL 1 replica / SQLite: ${(one.wall / lite.wall).toFixed(2)}x`,
  );
} finally {
  for (const c of children) c.kill("SIGKILL");
  await registry.stop();
  await server.stop();
}
