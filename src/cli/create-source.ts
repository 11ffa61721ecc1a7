// `imagectl create source git`: a GitRepository from flags, as `flux create source git`.
// `spec.timeout` comes from `--fetch-timeout`, as in Flux (persistent on `flux create source`);
// `--timeout` stays the global operation timeout there as everywhere (the wait for the first
// reconcile). A `--timeout` of this command's own was shadowed by the global one and set nothing.
import type { Command } from "commander";
import { type GitRepository, SOURCE_API_V1 } from "../api/types.js";
import { type CreateFlags, createAction, metadataOf } from "./apply-object.js";
import { UsageError } from "./errors.js";
import { durationFlag } from "./globals.js";
import type { CliContext } from "./io.js";

interface SourceFlags extends CreateFlags {
  url?: string;
  branch?: string;
  secretRef?: string;
  interval: string;
  fetchTimeout?: string;
}

export function buildGitRepository(name: string, namespace: string, f: SourceFlags): GitRepository {
  if (!f.url) throw new UsageError("--url: required, the Git repository URL");
  const obj: GitRepository = {
    apiVersion: SOURCE_API_V1,
    kind: "GitRepository",
    metadata: metadataOf(name, namespace, f),
    spec: {
      interval: durationFlag("--interval", f.interval),
      url: f.url,
      ref: { branch: f.branch ?? "master" },
    },
  };
  if (f.secretRef) obj.spec.secretRef = { name: f.secretRef };
  if (f.fetchTimeout !== undefined)
    obj.spec.timeout = durationFlag("--fetch-timeout", f.fetchTimeout, { noHours: true });
  return obj;
}

export function registerCreateSource(create: Command, ctx: CliContext): void {
  createAction(
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
      .option(
        "--fetch-timeout <duration>",
        "timeout for each Git network operation: clone, fetch, push (spec.timeout; default: 60s)",
      ),
    ctx,
    buildGitRepository,
    // A problem with a field is told as the flag that set it: `--url: must not carry credentials …`.
    () => ({
      "spec.url": "--url",
      "spec.ref.branch": "--branch",
      "spec.secretRef.name": "--secret-ref",
      "spec.interval": "--interval",
      "spec.timeout": "--fetch-timeout",
      "metadata.name": "<name>",
    }),
  );
}
