import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { AnyObject, Kind } from "../api/types.js";
import { reconcilerRunning } from "../controller/lease-store.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, withEnv } from "./globals.js";
import { type CliContext, readStdin } from "./io.js";

interface Source {
  name: string;
  text: string;
}

function readSources(ctx: CliContext, paths: string[]): Promise<Source[]> {
  return Promise.all(
    paths.map(async (p): Promise<Source[]> => {
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

// Dependencies first: an Alert's reconcile reads its Provider; a Receiver wakes the other kinds.
const ORDER: Kind[] = [
  "GitRepository",
  "ImageRepository",
  "ImagePolicy",
  "ImageUpdateAutomation",
  "Provider",
  "Alert",
  "Receiver",
];

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
      const { parseManifests, validateObject, withDefaults } = await import("../api/index.js");
      const sources = await readSources(ctx, f.filename);
      const objects: AnyObject[] = [];
      const problems: string[] = [];
      for (const src of sources) {
        let docs: ReturnType<typeof parseManifests>;
        try {
          docs = parseManifests(src.text, src.name, { defaultNamespace: g.namespace });
        } catch (err) {
          problems.push(err instanceof Error ? err.message : String(err));
          continue;
        }
        for (const d of docs) {
          const obj = d.object;
          for (const i of validateObject(withDefaults(obj)))
            problems.push(`${src.name}: document ${d.index + 1} (${i.object}): ${i.field}: ${i.message}`);
          objects.push(obj);
        }
      }
      if (problems.length) throw new UsageError(`nothing applied:\n${problems.join("\n")}`);
      if (objects.length === 0) throw new UsageError("no objects found in the given files");
      objects.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
      await withEnv(g, async (env) => {
        const results = await env.store.apply(objects);
        results.forEach((r, i) => {
          const o = objects[i]!;
          ctx.io.out(`${o.kind}/${o.metadata.namespace}/${o.metadata.name} ${r.action}\n`);
        });
        if (!f.wait || (await reconcilerRunning(env.store, env.home))) return;
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
