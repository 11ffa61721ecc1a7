import type { Command } from "commander";
import { announceDaemon, runningDaemon } from "../controller/daemon-info.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, openEnv, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { renderTable } from "./table.js";

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: must be a positive integer, got '${v}'`);
  return n;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("reconcile every object once and print a summary (for CI and cron)")
    .option("--once", "reconcile everything once, then exit (the only mode; `serve` runs continuously)")
    .option("--concurrent <n>", "objects reconciled at the same time", "8")
    .option("-A, --all-namespaces", "all namespaces", true)
    .option("-o, --output <format>", "table or json", "table")
    .action(async (f: { once?: boolean; concurrent: string; output: string }, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      if (!f.once) throw new UsageError("run: --once is required (use `imagectl serve` for the daemon)");
      const concurrency = positiveInt("--concurrent", f.concurrent);
      await withEnv(g, async (env) => {
        if (runningDaemon(env.home))
          ctx.io.err("⚠️ a daemon is running for this home; reconciling once anyway\n");
        const { runOnce } = await import("../controller/run-once.js");
        const summary = await runOnce(env, { concurrency });
        const rows = summary.entries.map((e) => [
          e.key.kind,
          `${e.key.namespace}/${e.key.name}`,
          e.outcome.suspended ? "Suspended" : e.outcome.ready ? "True" : "False",
          e.outcome.message,
        ]);
        if (f.output === "json") {
          ctx.io.out(
            `${JSON.stringify({ notReady: summary.notReady, results: summary.entries }, null, 2)}\n`,
          );
        } else {
          ctx.io.out(renderTable(["KIND", "NAME", "READY", "MESSAGE"], rows));
          ctx.io.out(`${summary.entries.length} objects reconciled, ${summary.notReady} not ready\n`);
        }
        if (summary.notReady > 0) ctx.setExitCode(1);
      });
    });

  program
    .command("serve")
    .description("run the reconcile loop continuously (the daemon)")
    .option("--concurrent <n>", "objects reconciled at the same time", "4")
    .option("--poll <ms>", "how often the store is checked for changes made by the CLI", "500")
    .action(async (f: { concurrent: string; poll: string }, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const env = await openEnv(g);
      if (runningDaemon(env.home)) {
        await env.store.close();
        throw new CommandFailedError(`a daemon is already running for ${env.home}`);
      }
      const { Daemon } = await import("../controller/daemon.js");
      const withdraw = announceDaemon(env.home);
      const log = (line: string) => ctx.io.err(`${new Date().toISOString()} ${line}\n`);
      const daemon = new Daemon(env, {
        concurrency: positiveInt("--concurrent", f.concurrent),
        pollMs: positiveInt("--poll", f.poll),
        onResult: (k, o) =>
          log(
            `${k.kind}/${k.namespace}/${k.name} ${o.suspended ? "suspended" : o.ready ? "ready" : "not ready"}: ${o.message}`,
          ),
        onError: (k, e) =>
          log(`${k.kind}/${k.namespace}/${k.name} error: ${e instanceof Error ? e.message : String(e)}`),
      });
      log(`imagectl serve: home ${env.home}, pid ${process.pid}`);
      await daemon.start();
      await new Promise<void>((resolve) => {
        const shutdown = (sig: string) => {
          log(`${sig} received, stopping`);
          resolve();
        };
        process.once("SIGTERM", () => shutdown("SIGTERM"));
        process.once("SIGINT", () => shutdown("SIGINT"));
      });
      await daemon.stop();
      withdraw();
      await env.store.close();
      log("stopped");
    });
}
