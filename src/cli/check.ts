// `imagectl check [--pre]`: as `flux check`, ✔/✗ lines and exit 1 when anything fails.
import type { Command } from "commander";
import pLimit from "p-limit";
import type { AnyObject } from "../api/types.js";
import { KINDS } from "../api/types.js";
import {
  type CheckLine,
  checkDaemon,
  checkGitRepository,
  checkImageRepository,
  checkPrerequisites,
  checkStore,
  checkValid,
} from "./check-items.js";
import { globalsOf } from "./globals.js";
import type { CliContext } from "./io.js";
import { progress } from "./progress.js";

/** Objects are checked a few at a time: each check is one request to a registry or a Git remote. */
const CONCURRENCY = 4;

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command("check")
    .description("check the prerequisites, the store, the daemon and every object's registry or Git remote")
    .option("--pre", "only check the prerequisites (Node.js and git)")
    .action(async (f: { pre?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const p = progress(ctx.io);
      let failed = 0;
      const print = (l: CheckLine) => {
        if (l.note) p.action(l.text);
        else if (l.ok) p.success(l.text);
        else {
          failed++;
          p.failure(l.text);
        }
      };
      p.action("checking prerequisites");
      for (const l of await checkPrerequisites()) print(l);
      if (f.pre) return finish(ctx, p, failed, "prerequisites checks passed");

      p.action("checking the store");
      const { line, env } = await checkStore(g.home);
      print(line);
      p.action("checking the daemon");
      print(await checkDaemon(g.home));
      if (env) {
        try {
          const objects: AnyObject[] = [];
          for (const kind of KINDS) objects.push(...(await env.store.list(kind)));
          if (objects.length) p.action(`checking ${objects.length} object${objects.length === 1 ? "" : "s"}`);
          const limit = pLimit(CONCURRENCY);
          // Checked concurrently, printed in store order.
          const results = await Promise.all(
            objects.map((o) =>
              limit(async (): Promise<CheckLine[]> => {
                const invalid = await checkValid(o);
                if (invalid) return [invalid];
                if (o.spec.suspend) return [];
                if (o.kind === "ImageRepository") return [await checkImageRepository(env, o)];
                if (o.kind === "GitRepository") return [await checkGitRepository(env, o)];
                return [];
              }),
            ),
          );
          for (const l of results.flat()) print(l);
        } finally {
          await env.store.close();
        }
      }
      finish(ctx, p, failed, "all checks passed");
    });
}

function finish(ctx: CliContext, p: ReturnType<typeof progress>, failed: number, passed: string): void {
  if (failed) {
    p.failure(`${failed} check${failed === 1 ? "" : "s"} failed`);
    ctx.setExitCode(1);
  } else p.success(passed);
}
