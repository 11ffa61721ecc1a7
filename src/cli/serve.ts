/** `imagectl serve`: the daemon — one per home (daemon-lock.ts) — with its HTTP listener. */
import type { Command } from "commander";
import { parseDuration } from "../api/duration.js";
import { announceDaemon } from "../controller/daemon-info.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, openEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { POLICY_TIMEOUT_OPTION, startPolicyPool } from "./policy-pool-setup.js";
import { positiveDuration } from "./positive-duration.js";
import { positiveInt } from "./run.js";

function leaseDuration(value: string): number {
  let n = Number.NaN;
  try {
    n = parseDuration(value);
  } catch {
    // Reported below, with the range.
  }
  if (!(n >= 1000 && n <= 600_000))
    throw new UsageError(`--lease-duration: expected a duration from 1s to 10m (e.g. 15s), got '${value}'`);
  return n;
}

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command("serve")
    .description(
      "run the reconcile loop continuously (the daemon), with health, metrics and webhooks over HTTP",
    )
    .option("--concurrent <n>", "objects reconciled at the same time", "4")
    .option("--poll <ms>", "how often the store is checked for changes made by the CLI", "500")
    .option(
      "--listen <host:port>",
      "HTTP listener for the dashboard (/), /healthz, /readyz, /metrics and /hook/",
      "127.0.0.1:9292",
    )
    .option("--hook-rate-limit <n>", "webhook calls accepted per receiver per 10 s before 429", "300")
    .option(...POLICY_TIMEOUT_OPTION)
    .option(
      "--dashboard-auth-secret <namespace/name>",
      "secret with the dashboard's credentials (token, or username and password); needed for actions, and for any view on a non-loopback listener",
    )
    .option("--replica-id <id>", "this replica's name in a shared store's leases (default: host-pid-random)")
    .option("--lease-duration <duration>", "lease period of a replica on a shared store", "15s")
    .action(
      async (
        f: {
          concurrent: string;
          poll: string;
          listen: string;
          hookRateLimit: string;
          policyTimeout: string;
          dashboardAuthSecret?: string;
          replicaId?: string;
          leaseDuration: string;
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd, ctx);
        const { parseListenAddress, ListenAddressError } = await import("../server/listen-address.js");
        let listen: ReturnType<typeof parseListenAddress>;
        try {
          listen = parseListenAddress(f.listen);
        } catch (err) {
          if (err instanceof ListenAddressError) throw new UsageError(err.message);
          throw err;
        }
        const concurrency = positiveInt("--concurrent", f.concurrent);
        const pollMs = positiveInt("--poll", f.poll);
        const hookRate = { max: positiveInt("--hook-rate-limit", f.hookRateLimit), windowMs: 10_000 };
        const policyTimeoutMs = positiveDuration("--policy-timeout", f.policyTimeout);
        const authSecret =
          f.dashboardAuthSecret === undefined
            ? undefined
            : parseSecretRef(f.dashboardAuthSecret, g.namespace);
        const leaseTtlMs = leaseDuration(f.leaseDuration);
        const env = await openEnv(g);
        const log = (line: string) => ctx.io.err(`${new Date().toISOString()} ${line}\n`);
        if (authSecret) {
          const problem = await checkAuthSecret(env.store, authSecret);
          if (problem) {
            await env.store.close();
            throw new CommandFailedError(
              `--dashboard-auth-secret ${authSecret.namespace}/${authSecret.name}: ${problem}`,
            );
          }
        }
        // A shared store (PostgreSQL): replicas split the work by leases. A home's SQLite file: one
        // daemon per home, by its lock.
        const { startReplica, ReplicaIdError } = await import("../controller/lease-replica.js");
        const replica = await startReplica(env, { replica: f.replicaId, ttlMs: leaseTtlMs, log }).catch(
          async (err: unknown) => {
            await env.store.close();
            throw err instanceof ReplicaIdError ? new UsageError(err.message) : err;
          },
        );
        const { acquireDaemonLock, DaemonLockedError } = await import("../controller/daemon-lock.js");
        let lock: ReturnType<typeof acquireDaemonLock> | { release(): void };
        try {
          lock = replica ? { release() {} } : acquireDaemonLock(env.home);
        } catch (err) {
          await env.store.close();
          if (err instanceof DaemonLockedError) throw new CommandFailedError(err.message);
          throw err;
        }
        // Policy selections run in worker threads: a slow one never holds this loop (policy-pool.ts).
        const pool = await startPolicyPool(concurrency);
        env.evaluatePolicy = pool.evaluate;
        env.policyTimeoutMs = policyTimeoutMs;
        const { Daemon } = await import("../controller/daemon.js");
        const daemon = new Daemon(replica ? { ...env, fence: (key) => replica.fence(key) } : env, {
          ...(replica && { leases: replica }),
          concurrency,
          pollMs,
          onResult: (k, o) =>
            log(
              `${k.kind}/${k.namespace}/${k.name} ${o.suspended ? "suspended" : o.ready ? "ready" : "not ready"}: ${o.message}`,
            ),
          onError: (k, e) =>
            log(`${k.kind}/${k.namespace}/${k.name} error: ${e instanceof Error ? e.message : String(e)}`),
        });
        const { startDaemonServer } = await import("../server/daemon-server.js");
        let server: Awaited<ReturnType<typeof startDaemonServer>>;
        try {
          server = await startDaemonServer({
            store: env.store,
            loop: daemon,
            listen,
            log,
            hookRate,
            dashboard: {
              authSecret,
              evaluatePolicy: pool.evaluate,
              policyTimeoutMs,
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
          });
        } catch (err) {
          await pool.close();
          lock.release();
          await replica?.stop();
          await env.store.close();
          const code = (err as { code?: unknown }).code;
          throw new CommandFailedError(
            `--listen ${f.listen}: ${code === "EADDRINUSE" ? "address already in use" : err instanceof Error ? err.message : String(err)}`,
          );
        }
        const withdraw = announceDaemon(env.home, { url: server.url });
        log(
          `imagectl serve: ${replica ? `replica ${replica.replica} of a shared store` : `home ${env.home}`}, pid ${process.pid}, listening on ${server.url}`,
        );
        await daemon.start();
        await new Promise<void>((resolve) => {
          const shutdown = (sig: string) => {
            log(`${sig} received, stopping`);
            resolve();
          };
          process.once("SIGTERM", () => shutdown("SIGTERM"));
          process.once("SIGINT", () => shutdown("SIGINT"));
        });
        // Listener first (no new work is accepted), then the loop (in-flight reconciles get a
        // moment; policy selections are cut short, their workers terminated).
        await server.close();
        const stopping = daemon.stop(1000);
        await pool.close();
        await stopping;
        await replica?.stop();
        withdraw();
        lock.release();
        await env.store.close();
        log("stopped");
      },
    );
}

/** `NAMESPACE/NAME`, or `NAME` in the command's namespace. */
function parseSecretRef(value: string, namespace: string): { namespace: string; name: string } {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (!m?.[3])
    throw new UsageError(
      `--dashboard-auth-secret: expected NAMESPACE/NAME or NAME, got '${value.slice(0, 100)}'`,
    );
  return { namespace: m[1] ?? namespace, name: m[3] };
}

/** Why the secret cannot authenticate anyone, or undefined. Names keys, never values. */
async function checkAuthSecret(
  store: { getSecret(ns: string, name: string): Promise<{ data: Record<string, string> } | undefined> },
  ref: { namespace: string; name: string },
): Promise<string | undefined> {
  const s = await store.getSecret(ref.namespace, ref.name);
  if (!s) return "secret not found (create it with `imagectl create secret generic`)";
  if (s.data.token) return undefined;
  if (s.data.username && s.data.password) return undefined;
  return "the secret needs a 'token' key, or 'username' and 'password' keys";
}
