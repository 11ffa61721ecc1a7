import type { Command } from "commander";
import { gitUrlWithoutCredentials } from "../api/git-url.js";
import type { AnyObject, Kind } from "../api/types.js";
import { redactAddress } from "../api/webhook-address.js";
import { findCondition } from "../controller/conditions.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { leaseStoreOf } from "../controller/lease-replicas.js";
import { ownerOf, ownerText } from "../controller/source-sync-labels.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { renderTable } from "./table.js";

type Output = "table" | "json" | "yaml";

export interface KindView {
  kind: Kind;
  /** Flux's lower-case prefix in `get all`. */
  prefix: string;
  header: string[];
  row(obj: AnyObject): string[];
}

/** Go's time.RFC3339 (second precision), as Flux prints times in tables. */
function rfc3339(iso: string | undefined): string {
  if (!iso) return "";
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}

/** Flux's READY and MESSAGE columns (statusAndMessage): the Ready condition, or "waiting to be reconciled". */
export function readyCols(obj: AnyObject): [string, string] {
  const c = findCondition(obj.status, "Ready");
  if (!c) return ["False", "waiting to be reconciled"];
  return [c.status, c.message];
}

/** Flux's SUSPENDED column. */
export const suspended = (obj: AnyObject) => (obj.spec.suspend ? "True" : "False");

export const VIEWS: Record<"repository" | "policy" | "update" | "source", KindView> = {
  repository: {
    kind: "ImageRepository",
    prefix: "imagerepository",
    header: ["NAME", "LAST SCAN", "SUSPENDED", "READY", "MESSAGE"],
    row: (o) => [
      o.metadata.name,
      rfc3339(o.kind === "ImageRepository" ? o.status?.lastScanResult?.scanTime : undefined),
      suspended(o),
      ...readyCols(o),
    ],
  },
  policy: {
    kind: "ImagePolicy",
    prefix: "imagepolicy",
    header: ["NAME", "IMAGE", "TAG", "READY", "MESSAGE"],
    row: (o) => {
      const r = o.kind === "ImagePolicy" ? o.status?.latestRef : undefined;
      return [o.metadata.name, r?.name ?? "", r?.tag ?? "", ...readyCols(o)];
    },
  },
  update: {
    kind: "ImageUpdateAutomation",
    prefix: "imageupdateautomation",
    header: ["NAME", "LAST RUN", "SUSPENDED", "READY", "MESSAGE"],
    row: (o) => [
      o.metadata.name,
      rfc3339(o.kind === "ImageUpdateAutomation" ? o.status?.lastAutomationRunTime : undefined),
      suspended(o),
      ...readyCols(o),
    ],
  },
  source: {
    kind: "GitRepository",
    prefix: "gitrepository",
    // Flux's columns; REVISION is the revision a bootstrapped source last applied.
    header: ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"],
    row: (o) =>
      o.kind === "GitRepository"
        ? [o.metadata.name, o.status?.artifact?.revision ?? "", suspended(o), ...readyCols(o)]
        : [],
  },
};

/**
 * The object as `-o json|yaml` shows it: manifest fields plus status, without store bookkeeping.
 * A Provider's address and proxy are shown without what may be a token (`export` prints them whole).
 */
export function presentable(obj: AnyObject): AnyObject {
  const copy = JSON.parse(JSON.stringify(obj)) as AnyObject;
  if (copy.kind === "GitRepository") copy.spec.url = gitUrlWithoutCredentials(copy.spec.url);
  if (copy.kind === "Provider") {
    if (copy.spec.address) copy.spec.address = redactAddress(copy.spec.address);
    if (copy.spec.proxy) copy.spec.proxy = redactAddress(copy.spec.proxy);
  }
  return copy;
}

async function printObjects(
  ctx: CliContext,
  objs: AnyObject[],
  output: Output,
  single: boolean,
): Promise<void> {
  const data = single
    ? presentable(objs[0]!)
    : { apiVersion: "v1", kind: "List", items: objs.map(presentable) };
  if (output === "json") return ctx.io.out(`${JSON.stringify(data, null, 2)}\n`);
  const { default: YAML } = await import("yaml");
  ctx.io.out(YAML.stringify(data));
}

interface GetFlags {
  output: string;
  /** commander turns `--no-header` into `header: false`. */
  header?: boolean;
  allNamespaces?: boolean;
}

function outputFlag(v: string): Output {
  if (v !== "table" && v !== "json" && v !== "yaml")
    throw new UsageError(`--output: invalid format '${v}', must be table, json or yaml`);
  return v;
}

async function listOrGet(
  env: ControllerDeps,
  view: KindView,
  ns: string | undefined,
  name?: string,
): Promise<AnyObject[]> {
  if (name) {
    const obj = await env.store.get(view.kind, ns!, name);
    if (!obj) throw new CommandFailedError(`${view.kind} object '${name}' not found in "${ns}" namespace`);
    return [obj];
  }
  return env.store.list(view.kind, ns ? { namespace: ns } : undefined);
}

/** On a shared store (PostgreSQL), who last reconciled each object of `kind`: `ns/name` → replica. */
async function replicasOf(env: ControllerDeps, kind: Kind): Promise<Map<string, string> | undefined> {
  return leaseStoreOf(env.store)?.reconciledBy(kind);
}

/**
 * The view's table; when a Git source sync owns any of the objects, a SOURCE column names the
 * owning GitRepository and the revision at which each object last changed; on a shared store, a
 * REPLICA column names who last reconciled each.
 */
function table(
  view: KindView,
  objs: AnyObject[],
  f: GetFlags,
  prefix = false,
  replicas?: Map<string, string>,
): string {
  const owned = objs.some((o) => ownerOf(o));
  const header = [
    ...(f.allNamespaces ? ["NAMESPACE"] : []),
    ...view.header,
    ...(owned ? ["SOURCE"] : []),
    ...(replicas ? ["REPLICA"] : []),
  ];
  const rows = objs.map((o) => {
    const r = view.row(o);
    if (prefix) r[0] = `${view.prefix}/${r[0]}`;
    if (owned) {
      const owner = ownerOf(o);
      r.push(owner ? ownerText(owner) : "");
    }
    if (replicas) r.push(replicas.get(`${o.metadata.namespace}/${o.metadata.name}`) ?? "");
    return f.allNamespaces ? [o.metadata.namespace, ...r] : r;
  });
  return renderTable(header, rows, { noHeader: f.header === false });
}

function addGetFlags(cmd: Command): Command {
  return cmd
    .option("-o, --output <format>", "table, json or yaml", "table")
    .option("--no-header", "omit the table header")
    .option("-A, --all-namespaces", "list across all namespaces");
}

/** `get <kind> [name]`: one view's table, or the objects as JSON or YAML. */
export function addGetCommand(cmd: Command, ctx: CliContext, view: KindView): Command {
  return addGetFlags(cmd.argument("[name]")).action(
    async (name: string | undefined, f: GetFlags, c: Command) => {
      const g = globalsOf(c, ctx);
      const output = outputFlag(f.output);
      await withEnv(g, async (env) => {
        const objs = await listOrGet(env, view, f.allNamespaces ? undefined : g.namespace, name);
        if (output !== "table") return printObjects(ctx, objs, output, !!name);
        if (objs.length === 0) {
          ctx.io.err(
            `✗ no ${view.kind} objects found in ${f.allNamespaces ? "any" : `"${g.namespace}"`} namespace\n`,
          );
          return;
        }
        ctx.io.out(table(view, objs, f, false, await replicasOf(env, view.kind)));
      });
    },
  );
}

/** Registers `get` and its image, source and secret commands; returns `get` for the other kinds. */
export function registerGet(program: Command, ctx: CliContext): Command {
  const get = program.command("get").description("show objects and their status");
  const image = get.command("image").alias("images").description("show image automation objects");
  const kinds: ["repository" | "policy" | "update", string][] = [
    ["repository", "ImageRepositories"],
    ["policy", "ImagePolicies"],
    ["update", "ImageUpdateAutomations"],
  ];
  for (const [word, plural] of kinds) {
    addGetCommand(image.command(word).description(`show ${plural} and their status`), ctx, VIEWS[word]);
  }
  addGetFlags(image.command("all").description("show all image automation objects")).action(
    async (f: GetFlags, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const output = outputFlag(f.output);
      await withEnv(g, async (env) => {
        const all: AnyObject[] = [];
        for (const [word] of kinds) {
          const view = VIEWS[word];
          const objs = await listOrGet(env, view, f.allNamespaces ? undefined : g.namespace);
          if (output !== "table") {
            all.push(...objs);
            continue;
          }
          if (objs.length) ctx.io.out(`${table(view, objs, f, true, await replicasOf(env, view.kind))}\n`);
        }
        if (output !== "table") await printObjects(ctx, all, output, false);
      });
    },
  );
  const source = get.command("source").alias("sources").description("show sources");
  addGetCommand(source.command("git").description("show GitRepositories"), ctx, VIEWS.source);
  // `imagectl get secrets`: names and types only; secret data is never printed.
  get
    .command("secrets")
    .alias("secret")
    .description("list secret names and types (never their data)")
    .option("-A, --all-namespaces", "list across all namespaces")
    .action(async (f: { allNamespaces?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      await withEnv(g, async (env) => {
        const list = await env.store.listSecrets(f.allNamespaces ? undefined : g.namespace);
        ctx.io.out(
          renderTable(
            ["NAMESPACE", "NAME", "TYPE"],
            list.map((s) => [s.namespace, s.name, s.type]),
          ),
        );
      });
    });
  return get;
}
