import type { AnyObject } from "../api/types.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { UsageError } from "./errors.js";
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
