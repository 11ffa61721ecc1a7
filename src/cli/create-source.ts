// `imagectl create source git`: a GitRepository from flags, as `flux create source git`.
import type { Command } from "commander";
import { type GitRepository, SOURCE_API_V1 } from "../api/types.js";
import { createOrExport } from "./apply-object.js";
import { UsageError } from "./errors.js";
import { collect, durationFlag, globalsOf, openEnv, parseLabels } from "./globals.js";
import type { CliContext } from "./io.js";

interface SourceFlags {
  url?: string;
  branch?: string;
  secretRef?: string;
  interval: string;
  timeout?: string;
  label?: string[];
  export?: boolean;
}

export function buildGitRepository(name: string, namespace: string, f: SourceFlags): GitRepository {
  if (!f.url) throw new UsageError("--url: required, the Git repository URL");
  const labels = parseLabels(f.label);
  const obj: GitRepository = {
    apiVersion: SOURCE_API_V1,
    kind: "GitRepository",
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: {
      interval: durationFlag("--interval", f.interval),
      url: f.url,
      ref: { branch: f.branch ?? "master" },
    },
  };
  if (f.secretRef) obj.spec.secretRef = { name: f.secretRef };
  if (f.timeout) obj.spec.timeout = durationFlag("--timeout", f.timeout, { noHours: true });
  return obj;
}

export function registerCreateSource(create: Command, ctx: CliContext): void {
  create
    .command("source")
    .description("create or update sources")
    .command("git")
    .description("create or update a GitRepository: the repository automations write to")
    .argument("<name>")
    .option("--url <url>", "Git URL: https://, http://, ssh://, file:// or git@host:path")
    .option("--branch <branch>", "the branch to check out", "master")
    .option("--secret-ref <name>", "git secret with the credentials (imagectl create secret git)")
    .option("--interval <duration>", "source interval", "1m0s")
    .option("--timeout <duration>", "timeout for each Git network operation (default 60s)")
    .option("--label <key=value>", "label to set (repeatable)", collect)
    .option("--export", "print the object as YAML instead of creating it")
    .action(async (name: string, f: SourceFlags, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const obj = buildGitRepository(name, g.namespace, f);
      await createOrExport(ctx, obj, { export: f.export, timeoutMs: g.timeoutMs, env: () => openEnv(g) });
    });
}
