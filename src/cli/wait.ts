import type { ObjectId } from "../api/object-id.js";
import type { AnyObject } from "../api/types.js";
import { findCondition } from "../controller/conditions.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { runningDaemon } from "../controller/daemon-info.js";
import type { ReconcileOutcome } from "../controller/outcome.js";
import { REQUEST_ANNOTATION } from "../controller/outcome.js";
import { reconcileWithDependents } from "../controller/reconcile.js";
import { CommandFailedError } from "./errors.js";

export interface WaitResult {
  object: AnyObject;
  ready: boolean;
  message: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes `key` reconcile now and waits for the result. With a daemon running for this home,
 * the request goes through the store (annotation) and the daemon does the work; otherwise the
 * CLI reconciles in-process, dependents included, so the CLI alone always shows current results.
 */
export async function reconcileAndWait(
  env: ControllerDeps,
  key: ObjectId,
  opts: {
    timeoutMs: number;
    request?: boolean;
    /** Told about each dependent reconciled in-process (policies of a repository, automations of a policy). */
    onDependent?: (key: ObjectId, outcome: ReconcileOutcome) => void;
  },
): Promise<WaitResult> {
  const requestedAt = new Date().toISOString();
  if (opts.request) await env.store.requestReconcile(key.kind, key.namespace, key.name, requestedAt);
  if (runningDaemon(env.home))
    return waitForDaemon(env, key, opts.timeoutMs, opts.request ? requestedAt : undefined);

  const work = reconcileWithDependents(env, key, {
    force: opts.request,
    onResult: (k, o) => {
      if (k.kind !== key.kind || k.namespace !== key.namespace || k.name !== key.name)
        opts.onDependent?.(k, o);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), opts.timeoutMs);
  });
  const res = await Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  if (res === "timeout")
    throw new CommandFailedError(
      `timeout waiting for ${key.kind} '${key.namespace}/${key.name}' reconciliation`,
    );
  const outcome: ReconcileOutcome | undefined = res;
  const object = await env.store.get(key.kind, key.namespace, key.name);
  if (!object) throw new CommandFailedError(`${key.kind} '${key.namespace}/${key.name}' not found`);
  return { object, ready: outcome?.ready ?? false, message: outcome?.message ?? "" };
}

async function waitForDaemon(
  env: ControllerDeps,
  key: ObjectId,
  timeoutMs: number,
  requestedAt: string | undefined,
): Promise<WaitResult> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const object = await env.store.get(key.kind, key.namespace, key.name);
    if (!object) throw new CommandFailedError(`${key.kind} '${key.namespace}/${key.name}' not found`);
    const st = object.status;
    const ready = findCondition(st, "Ready");
    const handled = requestedAt ? st?.lastHandledReconcileAt === requestedAt : true;
    if (
      handled &&
      st?.observedGeneration === object.metadata.generation &&
      ready &&
      ready.status !== "Unknown"
    ) {
      return { object, ready: ready.status === "True", message: ready.message };
    }
    await sleep(200);
  }
  throw new CommandFailedError(
    `timeout waiting for ${key.kind} '${key.namespace}/${key.name}' reconciliation`,
  );
}

export function requestAnnotation(obj: AnyObject): string | undefined {
  return obj.metadata.annotations?.[REQUEST_ANNOTATION];
}
