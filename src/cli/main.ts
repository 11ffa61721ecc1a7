import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { registerApply } from "./apply.js";
import { registerBootstrap } from "./bootstrap.js";
import { registerCheck } from "./check.js";
import { registerCreateImage } from "./create-image.js";
import { registerCreateImageUpdate } from "./create-image-update.js";
import { registerCreateNotification } from "./create-notification.js";
import { registerCreateSecret } from "./create-secret.js";
import { registerCreateSource } from "./create-source.js";
import { registerDiff } from "./diff.js";
import { registerExport } from "./export.js";
import { registerGet } from "./get.js";
import { registerGetNotification } from "./get-notification.js";
import { type CliContext, type CliIO, processIO } from "./io.js";
import { registerLifecycle } from "./lifecycle.js";
import { registerPolicyTest } from "./policy-test.js";
import { rootCommand, runProgram } from "./program.js";
import { registerRotate } from "./rotate.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Builds the command tree. Each capability registers its own commands. */
export function buildProgram(ctx: CliContext): Command {
  const program = rootCommand(ctx.io, {
    description: "Image update automation for GitOps: Flux's image automation without a cluster.",
    version: packageVersion(),
  });
  const create = program.command("create").description("create or update objects (Flux's grammar)");
  registerCreateImageUpdate(registerCreateImage(create, ctx), ctx);
  registerCreateSource(create, ctx);
  registerCreateNotification(create, ctx);
  registerCreateSecret(create, ctx);
  registerGetNotification(registerGet(program, ctx), ctx);
  registerExport(program, ctx);
  registerApply(program, ctx);
  registerDiff(program, ctx);
  registerLifecycle(program, ctx);
  registerRotate(program, ctx);
  registerRun(program, ctx);
  registerServe(program, ctx);
  registerPolicyTest(program, ctx);
  registerCheck(program, ctx);
  registerBootstrap(program, ctx);
  return program;
}

/** Runs the CLI and returns the process exit code; never throws for user error. */
export function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  return runProgram(argv, io, buildProgram);
}
