import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { INPUT_LIMITS, tooLarge } from "../api/input-limits.js";
import type { AnyObject } from "../api/types.js";
import type { ManifestSource } from "../controller/apply-set.js";
import { reconcilerRunning } from "../controller/lease-replicas.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";

/** The size limit, checked from the file's size before a byte is read. */
function checkFileSize(name: string, size: number): void {
  if (size > INPUT_LIMITS.fileBytes)
    throw new UsageError(`nothing applied:\n${name}: ${tooLarge("file", size)}`);
}

function readFile(name: string): ManifestSource {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(name);
  } catch {
    throw new UsageError(`-f: cannot read '${name}': no such file or directory`);
  }
  checkFileSize(name, st.size);
  return { name, bytes: readFileSync(name) };
}

/** stdin, read no further than one byte past the limit. */
async function readStdinBounded(ctx: CliContext): Promise<ManifestSource> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.io.stdin) {
    const chunk = typeof c === "string" ? Buffer.from(c) : (c as Buffer);
    size += chunk.length;
    checkFileSize("<stdin>", size);
    chunks.push(chunk);
  }
  return { name: "<stdin>", bytes: Buffer.concat(chunks) };
}

function readSources(ctx: CliContext, paths: string[]): Promise<ManifestSource[]> {
  return Promise.all(
    paths.map(async (p): Promise<ManifestSource[]> => {
      if (p === "-") return [await readStdinBounded(ctx)];
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
          .map((f) => readFile(join(p, f)));
      }
      return [readFile(p)];
    }),
  ).then((x) => x.flat());
}

/**
 * Every document of every file, parsed and validated (apply-set.ts); one problem anywhere is a
 * UsageError listing all of them. Used by `diff`; `apply` reads the set itself to apply it.
 */
export async function readManifestObjects(
  ctx: CliContext,
  filenames: string[],
  namespace: string,
  refusal = "nothing applied",
): Promise<AnyObject[]> {
  const { readManifestSet } = await import("../controller/apply-set.js");
  const set = await readManifestSet(await readSources(ctx, filenames), { defaultNamespace: namespace });
  if (set.problems.length) throw new UsageError(`${refusal}:\n${set.problems.join("\n")}`);
  if (set.objects.length === 0) throw new UsageError("no objects found in the given files");
  return set.objects;
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
        if (!f.wait || (await reconcilerRunning(env.store, env.home))) return;
        const { reconcileWithDependents } = await import("../controller/reconcile.js");
        for (const [i, o] of objects.entries()) {
          if (results[i]?.action === "unchanged") continue;
          await reconcileWithDependents(env, {
            kind: o.kind,
            namespace: o.metadata.namespace,
            name: o.metadata.name,
          });
        }
      });
    });
}
