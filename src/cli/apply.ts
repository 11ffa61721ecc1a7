import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { ManifestSource } from "../controller/apply-set.js";
import { runningDaemon } from "../controller/daemon-info.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, withEnv } from "./globals.js";
import { type CliContext, readStdin } from "./io.js";

function readSources(ctx: CliContext, paths: string[]): Promise<ManifestSource[]> {
  return Promise.all(
    paths.map(async (p): Promise<ManifestSource[]> => {
      if (p === "-") return [{ name: "<stdin>", text: await readStdin(ctx) }];
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        throw new UsageError(`-f: cannot read '${p}': no such file or directory`);
      }
      if (st.isDirectory()) {
        return readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/.test(f))
          .sort()
          .map((f) => ({ name: join(p, f), text: readFileSync(join(p, f), "utf8") }));
      }
      return [{ name: p, text: readFileSync(p, "utf8") }];
    }),
  ).then((x) => x.flat());
}

/**
 * `imagectl apply -f`: all documents of all files are parsed and validated first; one invalid
 * document means nothing is written. Then one store transaction, then (without a daemon)
 * reconciliation of what changed, in dependency order.
 */
export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command("apply")
    .description("create or update objects from Flux YAML manifests (all or nothing)")
    .option("-f, --filename <path>", "file, directory or - for stdin (repeatable)", collect)
    .option("--no-wait", "do not reconcile the applied objects before returning")
    .action(async (f: { filename?: string[]; wait: boolean }, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      if (!f.filename?.length) throw new UsageError("-f/--filename: required");
      const { applySet, readManifestSet } = await import("../controller/apply-set.js");
      const set = await readManifestSet(await readSources(ctx, f.filename), {
        defaultNamespace: g.namespace,
      });
      if (set.problems.length) throw new UsageError(`nothing applied:\n${set.problems.join("\n")}`);
      if (set.objects.length === 0) throw new UsageError("no objects found in the given files");
      await withEnv(g, async (env) => {
        const { objects, results } = await applySet(env.store, set.objects);
        results.forEach((r, i) => {
          const o = objects[i]!;
          ctx.io.out(`${o.kind}/${o.metadata.namespace}/${o.metadata.name} ${r.action}\n`);
        });
        if (!f.wait || runningDaemon(env.home)) return;
        const { reconcileWithDependents } = await import("../controller/reconcile.js");
        for (const [i, o] of objects.entries()) {
          if (results[i]?.action === "unchanged") continue;
          if (o.kind === "GitRepository") continue;
          await reconcileWithDependents(env, {
            kind: o.kind,
            namespace: o.metadata.namespace,
            name: o.metadata.name,
          });
        }
      });
    });
}
