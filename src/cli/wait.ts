import { type ObjectId, objectKey } from "../api/object-id.js";
import type { AnyObject } from "../api/types.js";
import { findCondition } from "../controller/conditions.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { reconcilerRunning } from "../controller/lease-replicas.js";
import { resultChanged, suspendedOutcome } from "../controller/outcome.js";
import { dependentsOf, dependentsToWake, reconcileWithDependents } from "../controller/reconcile.js";
import { CommandFailedError } from "./errors.js";
import type { Progress } from "./progress.js";

export interface WaitResult {
  object: AnyObject;
  ready: boolean;
  message: string;
}

/** Told about each dependent the reconcile woke (policies of a repository, automations of a policy). */
export type OnDependent = (key: ObjectId, message: string) => void;

/** Prints each woken dependent's result as a progress line: `► ImagePolicy ns/name: <Ready message>`. */
export function dependentLines(p: Progress): OnDependent {
  return (k, message) => p.action(`${k.kind} ${k.namespace}/${k.name}: ${message}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const timeoutError = (key: ObjectId) =>
  new CommandFailedError(`timeout waiting for ${key.kind} '${key.namespace}/${key.name}' reconciliation`);

/**
 * Makes `key` reconcile now and waits for the result, and for the dependents it wakes. With a daemon
 * running for this home, the request goes through the store (annotation) and the daemon does the
 * work; otherwise the CLI reconciles in-process. Either way the same dependents are reported.
 */
export async function reconcileAndWait(
  deps: ControllerDeps,
  key: ObjectId,
  opts: { timeoutMs: number; request?: boolean; onDependent?: OnDependent },
): Promise<WaitResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const requestedAt = new Date().toISOString();
  const daemon = await reconcilerRunning(deps.store, deps.home);
  // Read before the request: the wake rule must see the dependents as the daemon does, before it
  // reconciles them. Without a request the daemon's work cannot be told apart from its other work.
  const before = daemon && opts.request ? await snapshot(deps, key) : undefined;
  if (opts.request) await deps.store.requestReconcile(key.kind, key.namespace, key.name, requestedAt);
  if (daemon) {
    const res = await waitForDaemon(deps, key, deadline, opts.request ? requestedAt : undefined);
    if (before) await followDaemon(deps, key, res.object, { before, requestedAt, deadline, ...opts });
    return res;
  }

  const work = reconcileWithDependents(deps, key, {
    force: opts.request,
    onResult: (k, o) => {
      if (objectKey(k) !== objectKey(key)) opts.onDependent?.(k, o.message);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), opts.timeoutMs);
  });
  const outcome = await Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  if (outcome === "timeout") throw timeoutError(key);
  const object = await deps.store.get(key.kind, key.namespace, key.name);
  if (!object) throw new CommandFailedError(`${key.kind} '${key.namespace}/${key.name}' not found`);
  return { object, ready: outcome?.ready ?? false, message: outcome?.message ?? "" };
}

/** `key` and everything that may be woken after it (policies, their automations), as stored now. */
async function snapshot(
  deps: ControllerDeps,
  key: ObjectId,
  into = new Map<string, AnyObject>(),
): Promise<Map<string, AnyObject>> {
  const obj = await deps.store.get(key.kind, key.namespace, key.name);
  if (obj) into.set(objectKey(key), obj);
  for (const dep of await dependentsOf(deps, key)) await snapshot(deps, dep, into);
  return into;
}

/**
 * After the daemon reconciled `key`: the dependents it woke, by the same rule (dependentsToWake)
 * applied to the same inputs (the result change and the dependents as they were before), waited for
 * in the order the in-process cascade reports them. The daemon passes the request on to them;
 * asking again with the same value changes nothing then, and makes sure the wait ends should the
 * daemon have read a dependent in another state than the snapshot.
 */
async function followDaemon(
  deps: ControllerDeps,
  key: ObjectId,
  now: AnyObject,
  f: { before: Map<string, AnyObject>; requestedAt: string; deadline: number; onDependent?: OnDependent },
): Promise<void> {
  const was = f.before.get(objectKey(key));
  const changed = resultChanged(now.kind, was?.status, now.status);
  const wake = await dependentsToWake(deps, key, changed, async (id) => f.before.get(objectKey(id)));
  for (const dep of wake) {
    const obj = await deps.store.get(dep.kind, dep.namespace, dep.name);
    if (!obj) continue;
    if (obj.spec.suspend) {
      f.onDependent?.(dep, suspendedOutcome().message);
      continue;
    }
    await deps.store.requestReconcile(dep.kind, dep.namespace, dep.name, f.requestedAt);
    const res = await waitForDaemon(deps, dep, f.deadline, f.requestedAt);
    f.onDependent?.(dep, res.message);
    await followDaemon(deps, dep, res.object, f);
  }
}

/** Polls the store until the daemon has handled the request (or the current generation). */
async function waitForDaemon(
  deps: ControllerDeps,
  key: ObjectId,
  deadline: number,
  requestedAt: string | undefined,
): Promise<WaitResult> {
  while (Date.now() < deadline) {
    const object = await deps.store.get(key.kind, key.namespace, key.name);
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
  throw timeoutError(key);
}
