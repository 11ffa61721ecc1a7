import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import type { ObjectId } from "../api/object-id.js";
import type { Kind } from "../api/types.js";
import { UNPIN_ANNOTATION } from "../api/write-back-annotations.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { aKind, humanKind, IMAGE_WORDS, NOTIFICATION_WORDS } from "./kind-words.js";
import { progress } from "./progress.js";
import { readyText } from "./ready-text.js";

/** `<verb> image repository|policy|update`, `<verb> source git` and `<verb> receiver|alert-provider|alert`. */
function kindCommands(parent: Command, verb: string): [Command, Kind][] {
  const image = parent.command("image").description(`${verb} image automation objects`);
  const source = parent.command("source").description(`${verb} sources`);
  const words: [Command, string, Kind][] = [
    ...Object.entries(IMAGE_WORDS).map(([word, kind]): [Command, string, Kind] => [image, word, kind]),
    [source, "git", "GitRepository"],
    ...Object.entries(NOTIFICATION_WORDS).map(([word, kind]): [Command, string, Kind] => [
      parent,
      word,
      kind,
    ]),
  ];
  return words.map(([under, word, kind]) => [
    under.command(word).description(`${verb} ${aKind(kind)}`),
    kind,
  ]);
}

export function registerReconcile(program: Command, ctx: CliContext): void {
  const reconcile = program
    .command("reconcile")
    .description("run an object's reconciliation now and wait for it");
  for (const [cmd, kind] of kindCommands(reconcile, "reconcile")) {
    cmd.argument("<name>");
    if (kind === "ImageUpdateAutomation")
      cmd.option("--dry-run", "print the diff and commit message the run would make; push nothing");
    cmd.action(async (name: string, f: { dryRun?: boolean }, c: Command) => {
      const g = globalsOf(c, ctx);
      const p = progress(ctx.io);
      await withEnv(g, async (env) => {
        const obj = await env.store.get(kind, g.namespace, name);
        if (!obj)
          throw new CommandFailedError(`${kind} object '${name}' not found in "${g.namespace}" namespace`);
        // A preview changes nothing, so it is allowed on a suspended automation too.
        if (f.dryRun && obj.kind === "ImageUpdateAutomation") {
          const { printAutomationPreview } = await import("./diff-automation.js");
          await printAutomationPreview(ctx, env, obj);
          return;
        }
        if (obj.spec.suspend) throw new CommandFailedError("resource is suspended");
        p.action(`annotating ${kind} ${name} in ${g.namespace} namespace`);
        p.success(`${kind} annotated`);
        await requestAndReport(ctx, env, { kind, namespace: g.namespace, name }, g.timeoutMs);
      });
    });
  }
}

/** Asks for a reconcile now, waits for it, and prints Flux's result line (exit 1 when not Ready). */
async function requestAndReport(
  ctx: CliContext,
  env: ControllerDeps,
  key: ObjectId,
  timeoutMs: number,
): Promise<void> {
  const { reconcileAndWait, dependentLines } = await import("./wait.js");
  const p = progress(ctx.io);
  p.waiting(`waiting for ${key.kind} reconciliation`);
  const res = await reconcileAndWait(env, key, {
    timeoutMs,
    request: true,
    onDependent: dependentLines(p),
  });
  if (res.ready) return p.success(readyText(res.object));
  p.failure(res.message || `${key.kind} reconciliation failed`);
  ctx.setExitCode(1);
}

function registerSuspendResume(program: Command, ctx: CliContext, verb: "suspend" | "resume"): void {
  const top = program
    .command(verb)
    .description(
      verb === "suspend" ? "stop reconciling objects" : "start reconciling suspended objects again",
    );
  for (const [cmd, kind] of kindCommands(top, verb)) {
    cmd
      .argument("[names...]")
      .option("--all", `${verb} every object of this kind in the namespace`)
      .action(async (names: string[], f: { all?: boolean }, c: Command) => {
        const g = globalsOf(c, ctx);
        if (!names.length && !f.all) throw new UsageError("name is required, or --all");
        const p = progress(ctx.io);
        await withEnv(g, async (env) => {
          const targets = f.all
            ? (await env.store.list(kind, { namespace: g.namespace })).map((o) => o.metadata.name)
            : names;
          for (const name of targets) {
            p.action(
              `${verb === "suspend" ? "suspending" : "resuming"} ${humanKind(kind)} ${name} in ${g.namespace} namespace`,
            );
            const found = await env.store.setSuspended(kind, g.namespace, name, verb === "suspend");
            if (!found)
              throw new CommandFailedError(
                `${kind} object '${name}' not found in "${g.namespace}" namespace`,
              );
            p.success(`${humanKind(kind)} ${verb === "suspend" ? "suspended" : "resumed"}`);
            if (verb === "resume" && kind === "ImageUpdateAutomation")
              await requestUnpin(env, g.namespace, name);
            if (verb === "resume" && kind !== "GitRepository") {
              await requestAndReport(ctx, env, { kind, namespace: g.namespace, name }, g.timeoutMs);
            }
          }
        });
      });
  }
}

/**
 * Resuming an automation also lifts the markers it pinned after a rollback: the unpin annotation
 * gets a new value, which the next run acts on once (docs/write-back.md).
 */
async function requestUnpin(env: ControllerDeps, namespace: string, name: string): Promise<void> {
  const obj = await env.store.get("ImageUpdateAutomation", namespace, name);
  if (!obj) return;
  const annotations = { ...obj.metadata.annotations, [UNPIN_ANNOTATION]: env.now().toISOString() };
  await env.store.apply([{ ...obj, metadata: { ...obj.metadata, annotations } }]);
}

export function registerDelete(program: Command, ctx: CliContext): void {
  const del = program.command("delete").description("delete objects (their tags and status go with them)");
  for (const [cmd, kind] of kindCommands(del, "delete")) {
    cmd
      .argument("<name>")
      .option("-s, --silent", "delete without asking for confirmation")
      .action(async (name: string, f: { silent?: boolean }, c: Command) => {
        const g = globalsOf(c, ctx);
        if (!f.silent) {
          if (!ctx.io.isTTY)
            throw new UsageError(
              "refusing to delete without confirmation on a non-terminal: pass -s/--silent",
            );
          const rl = createInterface({ input: ctx.io.stdin, output: process.stderr });
          const answer = await rl.question(`Are you sure you want to delete this ${humanKind(kind)}? [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) return;
        }
        const p = progress(ctx.io);
        p.action(`deleting ${humanKind(kind)} ${name} in ${g.namespace} namespace`);
        const found = await withEnv(g, (env) => env.store.delete(kind, g.namespace, name));
        if (!found)
          throw new CommandFailedError(`${kind} object '${name}' not found in "${g.namespace}" namespace`);
        p.success(`${humanKind(kind)} deleted`);
      });
  }
}

export function registerLifecycle(program: Command, ctx: CliContext): void {
  registerReconcile(program, ctx);
  registerSuspendResume(program, ctx, "suspend");
  registerSuspendResume(program, ctx, "resume");
  registerDelete(program, ctx);
}
