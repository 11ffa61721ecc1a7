import type { Command } from "commander";
import type { AnyObject, ObjectMeta } from "../api/types.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { UsageError } from "./errors.js";
import { collect, type GlobalOptions, globalsOf, openEnv, parseLabels } from "./globals.js";
import type { CliContext } from "./io.js";
import { progress } from "./progress.js";
import { readyText } from "./ready-text.js";

/**
 * Which flag set a spec field: a field path (and the fields below it) → the flag, or for a
 * repeatable flag that fills a list, the flag and its values, so that a problem with
 * `spec.eventSources[1].kind` reads `--event-source 'Kustomization/app': kind: …`.
 */
export type FieldFlags = Record<string, string | { flag: string; values: readonly string[] }>;

function flagOfField(field: string, flags: FieldFlags): string | undefined {
  for (const [path, f] of Object.entries(flags)) {
    if (field === path) return typeof f === "string" ? f : f.flag;
    if (!field.startsWith(path)) continue;
    const rest = field.slice(path.length);
    if (typeof f === "string") {
      if (rest.startsWith(".") || rest.startsWith("[")) return f;
      continue;
    }
    const item = /^\[(\d+)\](?:\.(.+))?$/.exec(rest);
    if (!item) continue;
    const value = f.values[Number(item[1])];
    return `${f.flag}${value === undefined ? "" : ` '${value}'`}${item[2] ? `: ${item[2]}` : ""}`;
  }
  return undefined;
}

/**
 * Validates an object built from flags; a problem is a usage error naming the flag that set the
 * field (from `flags`), else the object and field.
 */
export async function checkObject(obj: AnyObject, flags: FieldFlags = {}): Promise<void> {
  const { validateObject, withDefaults } = await import("../api/index.js");
  const issues = validateObject(withDefaults(obj));
  if (issues.length)
    throw new UsageError(
      issues
        .map((i) => {
          const flag = flagOfField(i.field, flags);
          return flag ? `${flag}: ${i.message}` : `${i.object}: ${i.field}: ${i.message}`;
        })
        .join("\n"),
    );
}

/**
 * What every `create` does after building the object: print it (--export) or apply it,
 * wait for its reconciliation and print Flux's progress lines.
 */
export async function createOrExport(
  ctx: CliContext,
  obj: AnyObject,
  opts: { export?: boolean; timeoutMs: number; env: () => Promise<ControllerDeps>; flags?: FieldFlags },
): Promise<void> {
  await checkObject(obj, opts.flags);
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
 * builds the object from the flags and hands it to createOrExport. `flagsOf` tells which flag set
 * which field, for the messages of validation. `instead`, when it returns true, has done what the
 * flags asked with the built object (a dry run): nothing is stored or printed as YAML.
 */
export function createAction<F extends CreateFlags, O extends AnyObject = AnyObject>(
  cmd: Command,
  ctx: CliContext,
  build: (name: string, namespace: string, f: F) => O | Promise<O>,
  flagsOf: (f: F) => FieldFlags = () => ({}),
  instead?: (obj: O, f: F, g: GlobalOptions) => Promise<boolean>,
): Command {
  return cmd
    .option("--label <key=value>", "label to set on the object (repeatable)", collect)
    .option("--export", "print the object as YAML instead of creating it")
    .action(async (name: string, f: F, c: Command) => {
      const g = globalsOf(c, ctx);
      const obj = await build(name, g.namespace, f);
      if (instead && (await instead(obj, f, g))) return;
      await createOrExport(ctx, obj, {
        export: f.export,
        timeoutMs: g.timeoutMs,
        env: () => openEnv(g),
        flags: flagsOf(f),
      });
    });
}
