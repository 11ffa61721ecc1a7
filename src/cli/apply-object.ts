import type { Command } from "commander";
import type { AnyObject, ObjectMeta } from "../api/types.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, openEnv, parseLabels } from "./globals.js";
import type { CliContext } from "./io.js";
import { progress } from "./progress.js";
import { readyText } from "./ready-text.js";

/** Validates an object built from flags; a problem is a usage error naming the flag's field. */
export async function checkObject(obj: AnyObject): Promise<void> {
  const { validateObject, withDefaults } = await import("../api/index.js");
  const issues = validateObject(withDefaults(obj));
  if (issues.length)
    throw new UsageError(issues.map((i) => `${i.object}: ${i.field}: ${i.message}`).join("\n"));
}

/**
 * What every `create` does after building the object: print it (--export) or apply it,
 * wait for its reconciliation and print Flux's progress lines.
 */
export async function createOrExport(
  ctx: CliContext,
  obj: AnyObject,
  opts: { export?: boolean; timeoutMs: number; env: () => Promise<ControllerDeps> },
): Promise<void> {
  await checkObject(obj);
  if (opts.export) {
    const { exportManifests } = await import("../api/index.js");
    ctx.io.out(exportManifests([obj]));
    return;
  }
  const p = progress(ctx.io);
  const kind = obj.kind;
  p.generate(`generating ${kind}`);
  p.action(`applying ${kind}`);
  const env = await opts.env();
  try {
    const [result] = await env.store.apply([obj]);
    p.success(`${kind} ${result?.action === "created" ? "created" : "updated"}`);
    p.waiting(`waiting for ${kind} reconciliation`);
    const key = { kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    const { reconcileAndWait, dependentLines } = await import("./wait.js");
    const res = await reconcileAndWait(env, key, {
      timeoutMs: opts.timeoutMs,
      request: false,
      onDependent: dependentLines(p),
    });
    if (!res.ready) {
      p.failure(res.message || `${kind} reconciliation failed`);
      ctx.setExitCode(1);
      return;
    }
    p.success(`${kind} reconciliation completed`);
    p.success(readyText(res.object));
  } finally {
    await env.store.close();
  }
}

/** The flags every `create <kind>` command has. */
export interface CreateFlags {
  label?: string[];
  export?: boolean;
}

/** An object's metadata from its name, the namespace and the --label flags. */
export function metadataOf(name: string, namespace: string, f: CreateFlags): ObjectMeta {
  const labels = parseLabels(f.label);
  return { name, namespace, ...(labels ? { labels } : {}) };
}

/**
 * Completes a `create <kind> <name>` command: the options every one has, and the action that
 * builds the object from the flags and hands it to createOrExport.
 */
export function createAction<F extends CreateFlags>(
  cmd: Command,
  ctx: CliContext,
  build: (name: string, namespace: string, f: F) => AnyObject | Promise<AnyObject>,
): Command {
  return cmd
    .option("--label <key=value>", "label to set on the object (repeatable)", collect)
    .option("--export", "print the object as YAML instead of creating it")
    .action(async (name: string, f: F, c: Command) => {
      const g = globalsOf(c, ctx);
      const obj = await build(name, g.namespace, f);
      await createOrExport(ctx, obj, { export: f.export, timeoutMs: g.timeoutMs, env: () => openEnv(g) });
    });
}
