import type { GitRepository } from "../api/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { reconcileWith } from "./reconcile-context.js";

/**
 * GitRepository is a source definition only: automations clone it themselves, so there is nothing
 * to fetch. Reconciling it records that the definition was seen (Ready, lastHandledReconcileAt),
 * which is what `reconcile source git` and `create source git` wait for.
 */
export function reconcileGitRepository(deps: ControllerDeps, obj: GitRepository): Promise<ReconcileOutcome> {
  return reconcileWith(deps, obj, (r) => r.ready("source defined"));
}
