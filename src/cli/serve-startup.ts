/**
 * `imagectl serve`'s start-up, step by step: store, replica or home lock, policy pool, listener,
 * daemon.json, the loop. Each step that holds something pushes its undo onto `undo` (serve.ts
 * undoes them last first when start-up fails or a signal stops it), and each asynchronous step
 * runs through `signals.during`, so a SIGTERM ends start-up at once (shutdown-signals.ts).
 */
import type { ControllerDeps } from "../controller/controller-deps.js";
import type { Daemon } from "../controller/daemon.js";
import { announceDaemon } from "../controller/daemon-info.js";
import type { startReplica } from "../controller/lease-replica.js";
import type { DaemonServer } from "../server/daemon-server.js";
import type { ListenAddress } from "../server/listen-address.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { type GlobalOptions, openEnv } from "./globals.js";
import { startPolicyPool } from "./policy-pool-setup.js";
import { type ShutdownSignals, StartupStoppedError } from "./shutdown-signals.js";

export interface ServeSettings {
  listen: ListenAddress;
  listenText: string;
  concurrency: number;
  pollMs: number;
  hookRate: { max: number; windowMs: number };
  policyTimeoutMs: number;
  authSecret: { namespace: string; name: string } | undefined;
  replicaId: string | undefined;
  leaseTtlMs: number;
}

export interface Started {
  env: ControllerDeps;
  daemon: Daemon;
  server: DaemonServer;
  pool: Awaited<ReturnType<typeof startPolicyPool>>;
  replica: Awaited<ReturnType<typeof startReplica>>;
  lock: { release(): void };
  withdraw: () => void;
}

export async function startUp(
  signals: ShutdownSignals,
  undo: (() => unknown)[],
  g: GlobalOptions,
  s: ServeSettings,
  log: (line: string) => void,
): Promise<Started> {
  const env = await signals.during(openEnv(g));
  undo.push(() => env.store.close());
  if (s.authSecret) {
    const { credentialsProblem } = await import("../server/dashboard-auth.js");
    const secret = await signals.during(env.store.getSecret(s.authSecret.namespace, s.authSecret.name));
    const problem = credentialsProblem(secret?.data);
    if (problem)
      throw new CommandFailedError(
        `--dashboard-auth-secret ${s.authSecret.namespace}/${s.authSecret.name}: ${problem}`,
      );
  }
  // A shared store (PostgreSQL): replicas split the work by leases. A home's SQLite file: one
  // daemon per home, by its lock.
  const { startReplica, ReplicaIdError } = await import("../controller/lease-replica.js");
  const replica = await signals
    .during(startReplica(env, { replica: s.replicaId, ttlMs: s.leaseTtlMs, log }))
    .catch((err: unknown) => {
      throw err instanceof ReplicaIdError ? new UsageError(err.message) : err;
    });
  if (replica) undo.push(() => replica.stop());
  const { acquireDaemonLock, DaemonLockedError } = await import("../controller/daemon-lock.js");
  signals.check();
  let lock: { release(): void };
  try {
    lock = replica ? { release() {} } : acquireDaemonLock(env.home);
  } catch (err) {
    if (err instanceof DaemonLockedError) throw new CommandFailedError(err.message);
    throw err;
  }
  undo.push(() => lock.release());
  // Policy selections run in worker threads: a slow one never holds this loop (policy-pool.ts).
  const pool = await signals.during(startPolicyPool(s.concurrency));
  undo.push(() => pool.close());
  env.evaluatePolicy = pool.evaluate;
  env.policyTimeoutMs = s.policyTimeoutMs;
  const { Daemon } = await import("../controller/daemon.js");
  const daemon = new Daemon(replica ? { ...env, fence: (key) => replica.fence(key) } : env, {
    ...(replica && { leases: replica }),
    concurrency: s.concurrency,
    pollMs: s.pollMs,
    onResult: (k, o) =>
      log(
        `${k.kind}/${k.namespace}/${k.name} ${o.suspended ? "suspended" : o.ready ? "ready" : "not ready"}: ${o.message}`,
      ),
    onError: (k, e) =>
      log(`${k.kind}/${k.namespace}/${k.name} error: ${e instanceof Error ? e.message : String(e)}`),
  });
  const { startDaemonServer } = await import("../server/daemon-server.js");
  const server = await signals
    .during(
      startDaemonServer({
        store: env.store,
        loop: daemon,
        listen: s.listen,
        log,
        hookRate: s.hookRate,
        dashboard: {
          authSecret: s.authSecret,
          evaluatePolicy: pool.evaluate,
          policyTimeoutMs: s.policyTimeoutMs,
          preview: async (namespace, name) => {
            const { previewAutomationRun } = await import("../controller/image-update-automation.js");
            const auto = await env.store.get("ImageUpdateAutomation", namespace, name);
            if (!auto) throw new Error(`ImageUpdateAutomation ${namespace}/${name} not found`);
            return previewAutomationRun(env, auto);
          },
          lastPushPatch: async (namespace, name) => {
            const { lastPushPatch } = await import("../controller/image-update-automation.js");
            const auto = await env.store.get("ImageUpdateAutomation", namespace, name);
            return auto ? lastPushPatch(env, auto) : undefined;
          },
        },
        ...(replica && { leases: replica }),
      }),
    )
    .catch((err: unknown) => {
      if (err instanceof StartupStoppedError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new CommandFailedError(
        `--listen ${s.listenText}: ${code === "EADDRINUSE" ? "address already in use" : err instanceof Error ? err.message : String(err)}`,
      );
    });
  undo.push(() => server.close());
  const withdraw = announceDaemon(env.home, { url: server.url });
  undo.push(withdraw);
  log(
    `imagectl serve: ${replica ? `replica ${replica.replica} of a shared store` : `home ${env.home}`}, pid ${process.pid}, listening on ${server.url}`,
  );
  signals.check();
  // Not abandoned: once started, the loop has reconciles running, which the normal shutdown stops.
  await daemon.start();
  return { env, daemon, server, pool, replica, lock, withdraw };
}

/** Per undo step: a store or replica that no longer answers must not hold the exit up. */
const UNDO_STEP_MS = 2000;

/**
 * Undoes start-up's steps, last first. A step that fails or hangs is passed over: the others
 * still run, and what is left goes with the process.
 */
export async function unwind(undo: readonly (() => unknown)[]): Promise<void> {
  for (const step of [...undo].reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, UNDO_STEP_MS);
    });
    await Promise.race([
      Promise.resolve()
        .then(step)
        .catch(() => {}),
      late,
    ]);
    clearTimeout(timer);
  }
}
