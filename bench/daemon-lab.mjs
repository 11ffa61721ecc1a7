// Helpers of the benches that run whole `imagectl` / `imagectl serve` processes: waiting,
// percentiles, a bounded pool of HTTP calls, and the daemons of one run (started on a free
// loopback port, all stopped at the end). Not a benchmark itself (bench/run.mjs runs *.bench.mjs).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Stops the bench (exit 2) when something it needs is not installed or built. */
export function need(path, what) {
  if (!existsSync(path)) {
    console.error(`cannot run: ${what} (${path}) is missing`);
    process.exit(2);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => Math.round(x * 10) / 10;
export const stats = (xs) => ({
  n: xs.length,
  p50Ms: ms(pct(xs, 50)),
  p99Ms: ms(pct(xs, 99)),
  maxMs: ms(Math.max(...xs)),
});

export async function eventually(check, timeoutMs, what, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** The CLI and `serve` processes of one bench run: every daemon started is known, to stop them all. */
export function daemonLab(root) {
  const daemons = new Set();
  const daemonLogs = new Map();
  function cli(args, home) {
    const r = spawnSync(join(root, "bin/imagectl"), [...args, "--home", home], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0)
      throw new Error(`imagectl ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-1500)}`);
    return r.stdout;
  }
  /** `imagectl serve` on a free loopback port; resolves with the process and its announced URL. */
  async function startDaemon(home, args) {
    const child = spawn(
      join(root, "bin/imagectl"),
      ["serve", "--home", home, "--listen", "127.0.0.1:0", ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    const keep = (d) => {
      err = (err + d).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    daemons.add(child);
    daemonLogs.set(child, () => err);
    const url = await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
        try {
          const info = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8"));
          return info.pid === child.pid ? info.url : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      "the daemon to announce its listener",
      50,
    );
    return { child, url };
  }

  async function stopDaemon(child) {
    daemons.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(t);
  }
  /** On Ctrl-C / SIGTERM: kill every daemon, run `cleanup`, exit 130 (signals skip "exit" handlers). */
  function killOnSignal(cleanup) {
    for (const sig of ["SIGINT", "SIGTERM"])
      process.on(sig, () => {
        for (const d of daemons) d.kill("SIGKILL");
        void cleanup().finally(() => process.exit(130));
      });
  }
  return { daemons, daemonLogs, cli, startDaemon, stopDaemon, killOnSignal };
}

const metricRe = (name) =>
  new RegExp(`imagectl_policy_latest_ref_changes_total\\{namespace="flux-system",name="${name}"\\} (\\d+)`);
export async function latestRefChanges(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(metricRe(name).exec(text)?.[1] ?? 0);
}
/** Polls /metrics every `everyMs` until the policy's change counter exceeds `before`; returns when seen. */
export async function waitLatestRefChange(url, name, before, timeoutMs, everyMs = 10) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await latestRefChanges(url, name)) > before) return performance.now();
    await sleep(everyMs);
  }
  throw new Error(`no new latestRef for ${name} within ${timeoutMs} ms`);
}

/** Runs `total` calls of `call(i)`, `concurrency` at a time; returns wall ms and status counts. */
export async function pool(total, concurrency, call) {
  const statuses = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        let s;
        try {
          const r = await call(i);
          await r.arrayBuffer();
          s = r.status;
        } catch {
          s = "error";
        }
        statuses[s] = (statuses[s] ?? 0) + 1;
      }
    }),
  );
  return { wallMs: performance.now() - t0, statuses };
}

export const fmtStatuses = (s) =>
  Object.entries(s)
    .map(([k, v]) => `${k}x${v}`)
    .join(" ");
