import type { Command } from "commander";
import type { AnyObject, Kind } from "../api/types.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { globalsOf, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { IMAGE_WORDS, NOTIFICATION_WORDS } from "./kind-words.js";

async function exportKind(
  ctx: CliContext,
  cmd: Command,
  kind: Kind,
  name: string | undefined,
  all: boolean,
): Promise<void> {
  const g = globalsOf(cmd, ctx);
  if (!name && !all) throw new UsageError("name is required, or --all to export every object");
  if (name && all) throw new UsageError("give a name or --all, not both");
  await withEnv(g, async (env) => {
    let objs: AnyObject[];
    if (name) {
      const obj = await env.store.get(kind, g.namespace, name);
      if (!obj)
        throw new CommandFailedError(`${kind} object '${name}' not found in "${g.namespace}" namespace`);
      objs = [obj];
    } else {
      objs = await env.store.list(kind, { namespace: g.namespace });
    }
    const { exportManifests } = await import("../api/index.js");
    ctx.io.out(exportManifests(objs));
  });
}

function addExportCommand(parent: Command, ctx: CliContext, word: string, kind: Kind): void {
  parent
    .command(word)
    .description(`export ${kind} objects`)
    .argument("[name]")
    .option("--all", `export every ${kind} in the namespace`)
    .action((name: string | undefined, f: { all?: boolean }, cmd: Command) =>
      exportKind(ctx, cmd, kind, name, !!f.all),
    );
}

export function registerExport(program: Command, ctx: CliContext): void {
  const exp = program.command("export").description("print objects as Flux-compatible YAML manifests");
  const image = exp.command("image").description("export image automation objects");
  for (const [word, kind] of Object.entries(IMAGE_WORDS)) addExportCommand(image, ctx, word, kind);
  addExportCommand(exp.command("source").description("export sources"), ctx, "git", "GitRepository");
  // Printed as stored: a Provider's address is the user's own, with any token in it (as Flux does).
  for (const [word, kind] of Object.entries(NOTIFICATION_WORDS)) addExportCommand(exp, ctx, word, kind);
}
