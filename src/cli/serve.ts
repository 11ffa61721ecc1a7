/** `imagectl serve`: the daemon — one per home (daemon-lock.ts) — with its HTTP listener. */
import type { Command } from "commander";
import { announceDaemon } from "../controller/daemon-info.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, openEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { POLICY_TIMEOUT_OPTION, startPolicyPool } from "./policy-pool-setup.js";
import { positiveDuration } from "./positive-duration.js";
import { positiveInt } from "./run.js";

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
      "HTTP listener for /healthz, /readyz, /metrics and /hook/",
      "127.0.0.1:9292",
    )
    .option("--hook-rate-limit <n>", "webhook calls accepted per receiver per 10 s before 429", "300")
    .option(...POLICY_TIMEOUT_OPTION)
    .action(
      async (
        f: { concurrent: string; poll: string; listen: string; hookRateLimit: string; policyTimeout: string },
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
        const env = await openEnv(g);
        const { acquireDaemonLock, DaemonLockedError } = await import("../controller/daemon-lock.js");
        let lock: ReturnType<typeof acquireDaemonLock>;
        try {
          lock = acquireDaemonLock(env.home);
        } catch (err) {
          await env.store.close();
          if (err instanceof DaemonLockedError) throw new CommandFailedError(err.message);
          throw err;
        }
        const log = (line: string) => ctx.io.err(`${new Date().toISOString()} ${line}\n`);
        // Policy selections run in worker threads: a slow one never holds this loop (policy-pool.ts).
        const pool = await startPolicyPool(concurrency);
        env.evaluatePolicy = pool.evaluate;
        env.policyTimeoutMs = policyTimeoutMs;
        const { Daemon } = await import("../controller/daemon.js");
        const daemon = new Daemon(env, {
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
          });
        } catch (err) {
          await pool.close();
          lock.release();
          await env.store.close();
          const code = (err as { code?: unknown }).code;
          throw new CommandFailedError(
            `--listen ${f.listen}: ${code === "EADDRINUSE" ? "address already in use" : err instanceof Error ? err.message : String(err)}`,
          );
        }
        const withdraw = announceDaemon(env.home, { url: server.url });
        log(`imagectl serve: home ${env.home}, pid ${process.pid}, listening on ${server.url}`);
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
        withdraw();
        lock.release();
        await env.store.close();
        log("stopped");
      },
    );
}
