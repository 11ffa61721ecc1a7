import type { ObjectId } from "../api/object-id.js";
import type { AnyObject } from "../api/types.js";
import { NotFoundError } from "../store/errors.js";
import { RECONCILE_REQUESTED_AT } from "../store/store.js";
import type { ControllerDeps } from "./controller-deps.js";
import { reconcileGitRepository } from "./git-repository.js";
import { reconcileImagePolicy } from "./image-policy.js";
import { reconcileImageRepository } from "./image-repository.js";
import { reconcileAlert, reconcileProvider, reconcileReceiver } from "./notification.js";
import type { ReconcileOutcome } from "./outcome.js";

/** Reconciles one object by kind, reading it fresh from the store. Undefined when it no longer exists. */
export async function reconcileObject(
  deps: ControllerDeps,
  key: ObjectId,
  opts: { force?: boolean } = {},
): Promise<ReconcileOutcome | undefined> {
  switch (key.kind) {
    case "ImageRepository": {
      const obj = await deps.store.get("ImageRepository", key.namespace, key.name);
      return obj && reconcileImageRepository(deps, obj, opts);
    }
    case "ImagePolicy": {
      const obj = await deps.store.get("ImagePolicy", key.namespace, key.name);
      return obj && reconcileImagePolicy(deps, obj);
    }
    case "ImageUpdateAutomation": {
      // Loaded on demand: the Git layer is not needed by fleets without automations.
      const { reconcileImageUpdateAutomation } = await import("./image-update-automation.js");
      const obj = await deps.store.get("ImageUpdateAutomation", key.namespace, key.name);
      return obj && reconcileImageUpdateAutomation(deps, obj);
    }
    case "GitRepository": {
      const obj = await deps.store.get("GitRepository", key.namespace, key.name);
      return obj && reconcileGitRepository(deps, obj);
    }
    case "Receiver": {
      const obj = await deps.store.get("Receiver", key.namespace, key.name);
      return obj && reconcileReceiver(deps, obj);
    }
    case "Provider": {
      const obj = await deps.store.get("Provider", key.namespace, key.name);
      return obj && reconcileProvider(deps, obj);
    }
    case "Alert": {
      const obj = await deps.store.get("Alert", key.namespace, key.name);
      return obj && reconcileAlert(deps, obj);
    }
  }
}

/** Objects whose result depends on `key`'s result: policies of a repository, automations of a policy. */
export async function dependentsOf(deps: ControllerDeps, key: ObjectId): Promise<ObjectId[]> {
  if (key.kind === "ImageRepository") {
    const policies = await deps.store.list("ImagePolicy");
    return policies
      .filter(
        (p) =>
          p.spec.imageRepositoryRef.name === key.name &&
          (p.spec.imageRepositoryRef.namespace ?? p.metadata.namespace) === key.namespace,
      )
      .map((p) => ({ kind: "ImagePolicy", namespace: p.metadata.namespace, name: p.metadata.name }));
  }
  if (key.kind === "ImagePolicy") {
    const { policyMatchesAutomation } = await import("./automation-plan.js");
    const policy = await deps.store.get("ImagePolicy", key.namespace, key.name);
    if (!policy) return [];
    const autos = await deps.store.list("ImageUpdateAutomation", { namespace: key.namespace });
    return autos
      .filter((a) => policyMatchesAutomation(a, policy))
      .map((a) => ({
        kind: "ImageUpdateAutomation",
        namespace: a.metadata.namespace,
        name: a.metadata.name,
      }));
  }
  return [];
}

/**
 * Reconciles an object and, when its result changed, everything that depends on it
 * (repository → policies → automations). Used by the CLI when no daemon is running.
 */
export async function reconcileWithDependents(
  deps: ControllerDeps,
  key: ObjectId,
  opts: { force?: boolean; onResult?: (key: ObjectId, outcome: ReconcileOutcome) => void } = {},
): Promise<ReconcileOutcome | undefined> {
  const outcome = await reconcileObject(deps, key, { force: opts.force });
  if (outcome) {
    opts.onResult?.(key, outcome);
    for (const woken of await wakeDependents(deps, key, outcome)) {
      await reconcileWithDependents(deps, woken.key, { onResult: opts.onResult });
    }
  }
  return outcome;
}

/** Needs work when its spec moved past the status, or a reconcile was requested. */
export function wantsReconcile(obj: AnyObject): boolean {
  const st = obj.status;
  if (!st || st.observedGeneration !== obj.metadata.generation) return true;
  const req = obj.metadata.annotations?.[RECONCILE_REQUESTED_AT];
  return !!req && req !== st.lastHandledReconcileAt;
}

/** How the wake rule reads a dependent: the store now, or a waiter's snapshot from before the reconcile. */
export type ObjectReader = (id: ObjectId) => Promise<AnyObject | undefined>;

/**
 * The dependents to run after `key` reconciled: all of them when its result changed; after a
 * repository scan without change, only the policies that have no result yet or need work
 * (e.g. their previous evaluation failed for lack of tags).
 */
export async function dependentsToWake(
  deps: ControllerDeps,
  key: ObjectId,
  changed: boolean,
  read: ObjectReader = (id) => deps.store.get(id.kind, id.namespace, id.name),
): Promise<ObjectId[]> {
  if (!changed && key.kind !== "ImageRepository") return [];
  const wake: ObjectId[] = [];
  for (const dep of await dependentsOf(deps, key)) {
    if (dep.kind === "ImagePolicy" && !changed) {
      const p = await read(dep);
      if (p?.kind === "ImagePolicy" && p.status?.latestRef && !wantsReconcile(p)) continue;
    }
    wake.push(dep);
  }
  return wake;
}

export interface Woken {
  key: ObjectId;
  /** The store's resourceVersion of the write that passed the request on, when one was made. */
  requestVersion?: number;
}

/**
 * Picks the dependents to run after `key` reconciled (dependentsToWake) and passes on the reconcile
 * request it handled, so they record the same lastHandledReconcileAt and whoever asked for the
 * reconcile can wait for them as well. The daemon and the CLI's in-process cascade both wake this way.
 */
export async function wakeDependents(
  deps: ControllerDeps,
  key: ObjectId,
  outcome: ReconcileOutcome,
): Promise<Woken[]> {
  const woken: Woken[] = [];
  for (const dep of await dependentsToWake(deps, key, outcome.changed ?? false)) {
    if (!outcome.handledRequest) {
      woken.push({ key: dep });
      continue;
    }
    try {
      const { kind, namespace, name } = dep;
      const obj = await deps.store.requestReconcile(kind, namespace, name, outcome.handledRequest);
      woken.push({ key: dep, requestVersion: obj.metadata.resourceVersion });
    } catch (err) {
      // Deleted since dependentsOf listed it: nothing left to wake.
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return woken;
}
