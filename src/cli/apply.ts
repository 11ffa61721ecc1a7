import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { INPUT_LIMITS, tooLarge } from "../api/input-limits.js";
import type { AnyObject, Kind } from "../api/types.js";
import { runningDaemon } from "../controller/daemon-info.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";

interface Source {
  name: string;
  bytes: Uint8Array;
}

/** The size limit, checked from the file's size before a byte is read. */
function checkFileSize(name: string, size: number): void {
  if (size > INPUT_LIMITS.fileBytes)
    throw new UsageError(`nothing applied:\n${name}: ${tooLarge("file", size)}`);
}

function readFile(name: string): Source {
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
async function readStdinBounded(ctx: CliContext): Promise<Source> {
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

function readSources(ctx: CliContext, paths: string[]): Promise<Source[]> {
  return Promise.all(
    paths.map(async (p): Promise<Source[]> => {
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
 * A commit message template that does not parse, or uses a field Flux removed, is refused here as
 * `create image update --commit-template` refuses it (the template engine is src/update's, which
 * src/api cannot import); loaded only when a manifest has a template.
 */
async function templateProblem(obj: AnyObject): Promise<string | undefined> {
  if (obj.kind !== "ImageUpdateAutomation") return undefined;
  const template = obj.spec.git?.commit.messageTemplate;
  if (!template) return undefined;
  const { validateCommitTemplate } = await import("../update/index.js");
  try {
    validateCommitTemplate(template);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
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
      const { objectKey, parseManifestBytes, validateObject, withDefaults } = await import("../api/index.js");
      const sources = await readSources(ctx, f.filename);
      const objects: AnyObject[] = [];
      const problems: string[] = [];
      for (const src of sources) {
        let docs: ReturnType<typeof parseManifestBytes>;
        try {
          docs = parseManifestBytes(src.bytes, src.name, { defaultNamespace: g.namespace });
        } catch (err) {
          problems.push(err instanceof Error ? err.message : String(err));
          continue;
        }
        for (const d of docs) {
          const obj = d.object;
          const where = `${src.name}: document ${d.index + 1}`;
          for (const i of validateObject(withDefaults(obj)))
            problems.push(`${where} (${i.object}): ${i.field}: ${i.message}`);
          const template = await templateProblem(obj);
          if (template)
            problems.push(`${where} (${objectKey(obj)}): spec.git.commit.messageTemplate: ${template}`);
          objects.push(obj);
        }
      }
      if (objects.length > INPUT_LIMITS.documents)
        problems.push(`${objects.length} objects in one apply; the limit is ${INPUT_LIMITS.documents}`);
      if (problems.length) throw new UsageError(`nothing applied:\n${problems.join("\n")}`);
      if (objects.length === 0) throw new UsageError("no objects found in the given files");
      objects.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
      await withEnv(g, async (env) => {
        const results = await env.store.apply(objects);
        results.forEach((r, i) => {
          const o = objects[i]!;
          ctx.io.out(`${o.kind}/${o.metadata.namespace}/${o.metadata.name} ${r.action}\n`);
        });
        if (!f.wait || runningDaemon(env.home)) return;
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
