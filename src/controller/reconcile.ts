import type { ObjectId } from "../api/object-id.js";
import type { AnyObject } from "../api/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import { reconcileImagePolicy } from "./image-policy.js";
import { reconcileImageRepository } from "./image-repository.js";
import { REQUEST_ANNOTATION, type ReconcileOutcome } from "./outcome.js";

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
      const { reconcileImageUpdateAutomation } = await import("./image-update-automation.js");
      const obj = await deps.store.get("ImageUpdateAutomation", key.namespace, key.name);
      return obj && reconcileImageUpdateAutomation(deps, obj);
    }
    case "GitRepository":
      // GitRepository is a source definition only: automations clone it themselves.
      return { ready: true, stalled: false, message: "source definition" };
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
    const { policyMatchesAutomation } = await import("./image-update-automation.js");
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
  if (outcome) opts.onResult?.(key, outcome);
  if (outcome) {
    for (const dep of await dependentsToWake(deps, key, outcome)) {
      await reconcileWithDependents(deps, dep, { onResult: opts.onResult });
    }
  }
  return outcome;
}

/** Needs work when its spec moved past the status, or a reconcile was requested. */
export function wantsReconcile(obj: AnyObject): boolean {
  const st = obj.status;
  if (!st || st.observedGeneration !== obj.metadata.generation) return true;
  const req = obj.metadata.annotations?.[REQUEST_ANNOTATION];
  return !!req && req !== st.lastHandledReconcileAt;
}

/**
 * The dependents to run after `key` reconciled: all of them when its result changed; after a
 * repository scan without change, only the policies that have no result yet or need work
 * (e.g. their previous evaluation failed for lack of tags).
 */
export async function dependentsToWake(
  deps: ControllerDeps,
  key: ObjectId,
  outcome: ReconcileOutcome,
): Promise<ObjectId[]> {
  if (!outcome.changed && key.kind !== "ImageRepository") return [];
  const wake: ObjectId[] = [];
  for (const dep of await dependentsOf(deps, key)) {
    if (dep.kind === "ImagePolicy" && !outcome.changed) {
      const p = await deps.store.get("ImagePolicy", dep.namespace, dep.name);
      if (p?.status?.latestRef && !wantsReconcile(p)) continue;
    }
    wake.push(dep);
  }
  return wake;
}
