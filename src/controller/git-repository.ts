import { parseDuration } from "../api/duration.js";
import type { GitRepository } from "../api/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { ProxySecretError } from "./proxy-secret.js";
import { reconcileWith } from "./reconcile-context.js";
import { SYNC_PATH_ANNOTATION } from "./source-sync-labels.js";

/**
 * A plain GitRepository is a source definition only: automations clone it themselves, so there is
 * nothing to fetch, and reconciling it records that the definition was seen (Ready,
 * lastHandledReconcileAt), which is what `reconcile source git` and `create source git` wait for.
 * A bootstrapped one (with a sync path) also keeps the objects under that path in the store, every
 * interval: see source-sync.ts.
 */
export function reconcileGitRepository(deps: ControllerDeps, obj: GitRepository): Promise<ReconcileOutcome> {
  return reconcileWith(deps, obj, async (r) => {
    if (!obj.metadata.annotations?.[SYNC_PATH_ANNOTATION]) return r.ready("source defined");
    const intervalMs = parseDuration(obj.spec.interval);
    // Loaded on demand: plain sources and fleets without a bootstrapped one never need the sync.
    const { syncSource, summaryText, SourceManifestError } = await import("./source-sync.js");
    const { SourcePathError } = await import("./source-sync-files.js");
    const { GitError } = await import("../git/index.js");
    try {
      const s = await syncSource(deps, obj);
      r.status.artifact = { revision: s.revision, lastUpdateTime: r.nowIso };
      const news = s.created.length + s.configured.length + s.pruned.length > 0;
      return r.ready(`Applied revision: ${s.revision}`, {
        requeueAfterMs: intervalMs,
        ...(news ? { event: `Applied revision: ${s.revision} (${summaryText(s)})` } : {}),
      });
    } catch (err) {
      if (err instanceof SourceManifestError)
        return r.fail("ValidationFailed", err.message, { requeueAfterMs: intervalMs });
      if (err instanceof SourcePathError)
        return r.fail("ArtifactFailed", `${err.message} (revision unchanged)`, {
          requeueAfterMs: intervalMs,
        });
      if (err instanceof ProxySecretError) return r.fail("GitOperationFailed", err.message);
      if (err instanceof GitError) return r.fail("GitOperationFailed", `failed to fetch: ${err.message}`);
      throw err;
    }
  });
}
