/** `imagectl serve`: the daemon — one per home (daemon-lock.ts) — with its HTTP listener. */
import type { Command } from "commander";
import { parseDuration } from "../api/duration.js";
import { UsageError } from "./errors.js";
import { globalsOf } from "./globals.js";
import type { CliContext } from "./io.js";
import { POLICY_TIMEOUT_OPTION } from "./policy-pool-setup.js";
import { positiveDuration } from "./positive-duration.js";
import { positiveInt } from "./run.js";
import { type Started, startUp, unwind } from "./serve-startup.js";
import { catchShutdownSignals, StartupStoppedError } from "./shutdown-signals.js";

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
        const log = (line: string) => ctx.io.err(`${new Date().toISOString()} ${line}\n`);
        // From here on a signal stops start-up cleanly (shutdown-signals.ts); `undo` holds what
        // start-up did so far, undone last first when it stops or fails.
        const settings = {
          listen,
          listenText: f.listen,
          concurrency,
          pollMs,
          hookRate,
          policyTimeoutMs,
          authSecret,
          replicaId: f.replicaId,
          leaseTtlMs,
        };
        const signals = catchShutdownSignals(log);
        const undo: (() => unknown)[] = [];
        let started: Started;
        try {
          started = await startUp(signals, undo, g, settings, log);
        } catch (err) {
          signals.dispose();
          await unwind(undo);
          if (!(err instanceof StartupStoppedError)) throw err;
          log("stopped");
          return;
        }
        const { env, daemon, server, pool, replica, lock, withdraw } = started;
        await signals.received;
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
