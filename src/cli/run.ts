import type { Command } from "commander";
import { reconcilerRunning } from "../controller/lease-store.js";
import type { ReconcileOutcome } from "../controller/outcome.js";
import type { RunOnceWatch } from "../controller/run-once.js";
import { UsageError } from "./errors.js";
import { globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { POLICY_TIMEOUT_OPTION, startPolicyPool } from "./policy-pool-setup.js";
import { positiveDuration } from "./positive-duration.js";
import { liveLine } from "./progress.js";
import { renderTable } from "./table.js";

export function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: must be a positive integer, got '${v}'`);
  return n;
}

/** `run --once` on a terminal: done / failed / remaining and the object at work, on one live line. */
function runProgress(
  ctx: CliContext,
  isNotReady: (o: ReconcileOutcome) => boolean,
): RunOnceWatch & { finish: () => void } {
  const line = liveLine(ctx.io);
  let total = 0;
  let done = 0;
  let failed = 0;
  let atWork = "";
  const show = () =>
    line.update(`run --once: ${done} done, ${failed} failed, ${total - done - failed} remaining${atWork}`);
  return {
    onPlanned: (n) => {
      total = n;
      show();
    },
    onStart: (k) => {
      atWork = ` · ${k.kind} ${k.namespace}/${k.name}`;
      show();
    },
    onResult: (e) => {
      if (isNotReady(e.outcome)) failed++;
      else done++;
      show();
    },
    finish: () => line.done(),
  };
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("reconcile every object once and print a summary (for CI and cron)")
    .option("--once", "reconcile everything once, then exit (the only mode; `serve` runs continuously)")
    .option("--concurrent <n>", "objects reconciled at the same time", "8")
    .option("-A, --all-namespaces", "all namespaces", true)
    .option("-o, --output <format>", "table or json", "table")
    .option(...POLICY_TIMEOUT_OPTION)
    .action(
      async (
        f: { once?: boolean; concurrent: string; output: string; policyTimeout: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd, ctx);
        if (!f.once) throw new UsageError("run: --once is required (use `imagectl serve` for the daemon)");
        const concurrency = positiveInt("--concurrent", f.concurrent);
        const policyTimeoutMs = positiveDuration("--policy-timeout", f.policyTimeout);
        await withEnv(g, async (env) => {
          // Selections in worker threads: registry scans running beside them keep their own deadlines.
          const pool = await startPolicyPool(concurrency);
          env.evaluatePolicy = pool.evaluate;
          env.policyTimeoutMs = policyTimeoutMs;
          try {
            if (await reconcilerRunning(env.store, env.home))
              ctx.io.err("⚠️ a daemon (or a replica of this store) is running; reconciling once anyway\n");
            const { runOnce, isNotReady } = await import("../controller/run-once.js");
            const progress = runProgress(ctx, isNotReady);
            const summary = await runOnce(env, { concurrency, ...progress }).finally(progress.finish);
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
            if ("error" in summary.factSweep)
              ctx.io.err(`⚠️ the image fact cache was not pruned: ${summary.factSweep.error}\n`);
            if (summary.notReady > 0) ctx.setExitCode(1);
          } finally {
            await pool.close();
          }
        });
      },
    );
}
