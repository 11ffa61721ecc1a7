/** `imagectl serve`: the daemon — one per home (daemon-lock.ts) — with its HTTP listener. */
import type { Command } from "commander";
import { announceDaemon } from "../controller/daemon-info.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, openEnv } from "./globals.js";
import type { CliContext } from "./io.js";
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
      "HTTP listener for the dashboard (/), /healthz, /readyz, /metrics and /hook/",
      "127.0.0.1:9292",
    )
    .option("--hook-rate-limit <n>", "webhook calls accepted per receiver per 10 s before 429", "300")
    .option(
      "--dashboard-auth-secret <namespace/name>",
      "secret with the dashboard's credentials (token, or username and password); needed for actions, and for any view on a non-loopback listener",
    )
    .action(
      async (
        f: {
          concurrent: string;
          poll: string;
          listen: string;
          hookRateLimit: string;
          dashboardAuthSecret?: string;
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
        const authSecret =
          f.dashboardAuthSecret === undefined
            ? undefined
            : parseSecretRef(f.dashboardAuthSecret, g.namespace);
        const env = await openEnv(g);
        if (authSecret) {
          const problem = await checkAuthSecret(env.store, authSecret);
          if (problem) {
            await env.store.close();
            throw new CommandFailedError(
              `--dashboard-auth-secret ${authSecret.namespace}/${authSecret.name}: ${problem}`,
            );
          }
        }
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
            dashboard: {
              authSecret,
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
          });
        } catch (err) {
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
        // Listener first (no new work is accepted), then the loop (in-flight reconciles get a moment).
        await server.close();
        await daemon.stop(1000);
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
