// `imagectl diff -f`: what `apply -f` would change in the store, field by field, and for each
// ImageUpdateAutomation the commit a run would push (as `flux diff kustomization`, `kubectl diff`).
import type { Command } from "commander";
import { objectKey } from "../api/object-id.js";
import type { AnyObject, ImageUpdateAutomation } from "../api/types.js";
import { APPLY_ORDER as ORDER } from "../controller/apply-set.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import type { Store } from "../store/store.js";
import { readManifestObjects } from "./apply.js";
import { fieldChanges, fieldLine } from "./diff-fields.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";

/**
 * The store as it would read after the apply: manifest objects (spec, labels, annotations) in
 * place of the stored ones, each keeping its stored status, so a preview sees the GitRepository
 * and policies the manifests set while the policies' latest refs are the ones already found.
 */
function overlayStore(store: Store, objects: AnyObject[]): Store {
  const byKey = new Map(objects.map((o) => [objectKey(o), o]));
  const merged = <T extends AnyObject>(stored: T | undefined, kind: string, ns: string, name: string) => {
    const desired = byKey.get(objectKey({ kind: kind as AnyObject["kind"], namespace: ns, name: name }));
    if (!desired) return stored;
    return {
      ...desired,
      metadata: { ...stored?.metadata, ...desired.metadata },
      status: stored?.status,
    } as T;
  };
  const get: Store["get"] = async (kind, ns, name) => merged(await store.get(kind, ns, name), kind, ns, name);
  const list: Store["list"] = async (kind, opts) => {
    const stored = await store.list(kind, opts);
    const seen = new Set(
      stored.map((o) => objectKey({ kind: kind, namespace: o.metadata.namespace, name: o.metadata.name })),
    );
    const out = stored.map((o) => merged(o, kind, o.metadata.namespace, o.metadata.name)!);
    for (const o of objects) {
      if (
        o.kind !== kind ||
        seen.has(objectKey({ kind: kind, namespace: o.metadata.namespace, name: o.metadata.name }))
      )
        continue;
      if (opts?.namespace !== undefined && o.metadata.namespace !== opts.namespace) continue;
      out.push(o as (typeof out)[number]);
    }
    return out;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "get") return get;
      if (prop === "list") return list;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

interface DiffFlags {
  filename?: string[];
  prune?: boolean;
  git: boolean;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command("diff")
    .description("show what apply -f would change: objects and fields, and what automations would push")
    .option("-f, --filename <path>", "file, directory or - for stdin (repeatable)", collect)
    .option("--prune", "also list stored objects in the manifests' namespaces that the manifests lack")
    .option("--no-git", "do not preview the commits of ImageUpdateAutomations")
    .action(async (f: DiffFlags, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      if (!f.filename?.length) throw new UsageError("-f/--filename: required");
      const objects = await readManifestObjects(ctx, f.filename, g.namespace, "nothing compared");
      objects.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
      await withEnv(g, async (env) => {
        const changed = await diffObjects(ctx, env, objects, f);
        // As kubectl diff: 0 when applying would change nothing, 1 when it would (or a preview failed).
        if (changed) ctx.setExitCode(1);
      });
    });
}

async function diffObjects(
  ctx: CliContext,
  env: ControllerDeps,
  objects: AnyObject[],
  f: DiffFlags,
): Promise<boolean> {
  let changed = false;
  const out = (s: string) => ctx.io.out(s);
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    const stored = await env.store.get(o.kind, o.metadata.namespace, o.metadata.name);
    if (!stored) {
      changed = true;
      out(`${id} created\n`);
      continue;
    }
    const fields = fieldChanges(stored, o);
    if (fields.length === 0) {
      out(`${id} unchanged\n`);
      continue;
    }
    changed = true;
    out(`${id} configured\n${fields.map((c) => `    ${fieldLine(c)}\n`).join("")}`);
  }
  if (f.prune) changed = (await listMissing(ctx, env, objects)) || changed;
  if (f.git) {
    const overlay = { ...env, store: overlayStore(env.store, objects) };
    for (const o of objects) {
      if (o.kind !== "ImageUpdateAutomation") continue;
      changed = (await previewPush(ctx, overlay, o)) || changed;
    }
  }
  return changed;
}

/** Stored objects of the manifests' kinds and namespaces that no manifest names. */
async function listMissing(ctx: CliContext, env: ControllerDeps, objects: AnyObject[]): Promise<boolean> {
  const keys = new Set(objects.map((o) => objectKey(o)));
  const scopes = new Set(objects.map((o) => `${o.kind}\0${o.metadata.namespace}`));
  let any = false;
  for (const scope of [...scopes].sort()) {
    const [kind, namespace] = scope.split("\0") as [AnyObject["kind"], string];
    for (const s of await env.store.list(kind, { namespace })) {
      if (keys.has(objectKey({ kind: kind, namespace: namespace, name: s.metadata.name }))) continue;
      any = true;
      ctx.io.out(
        `${kind}/${namespace}/${s.metadata.name} not in the manifests (pruned by a sync; apply keeps it)\n`,
      );
    }
  }
  return any;
}

/** The commit the automation as written in the manifests would push now; nothing is pushed. */
async function previewPush(
  ctx: CliContext,
  env: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<boolean> {
  const { previewAutomationRun } = await import("../controller/image-update-automation.js");
  const { previewText } = await import("./diff-automation.js");
  const id = `ImageUpdateAutomation/${auto.metadata.namespace}/${auto.metadata.name}`;
  try {
    const preview = await previewAutomationRun(env, auto);
    ctx.io.out(`${id} would push:\n${previewText(preview).replace(/^(?=.)/gm, "    ")}`);
    return preview.message !== null;
  } catch (err) {
    ctx.io.err(`✗ ${id}: cannot preview its commit: ${err instanceof Error ? err.message : String(err)}\n`);
    return true;
  }
}
