/**
 * GitRepository. A plain one is checked as Flux's source-controller checks it: automations clone
 * the repository themselves, so nothing is fetched here, but the remote is listed (`git
 * ls-remote`, with the secretRef's credentials and the proxy) and the reference resolved, so that
 * a wrong password, an unknown host key or a missing branch shows at once as Ready=False
 * (GitOperationFailed) in `create source git` and `get sources git`, not later in an automation.
 * A bootstrapped one (with a sync path) fetches, and keeps the objects under that path in the
 * store every interval (source-sync.ts); the fetch checks access the same way.
 * Messages never carry the URL (it is the user's, and may have carried credentials).
 */
import { gitTimeoutMs, gitUrlCredentials, gitUrlCredentialsMessage, parseDuration } from "../api/index.js";
import type { GitRepository, GitRepositoryRef } from "../api/types.js";
import { GitError } from "../git/errors.js";
import { lsRemoteRef } from "../git/ls-remote.js";
import type { ControllerDeps } from "./controller-deps.js";
import { gitAuthFor } from "./git-auth.js";
import type { ReconcileOutcome } from "./outcome.js";
import { ProxySecretError, proxyFromSecretRef } from "./proxy-secret.js";
import { type Finished, type ReconcileContext, RetryError, reconcileWith } from "./reconcile-context.js";
import { syncPathOf } from "./source-sync-labels.js";

/** The remote reference to list, how a revision of it is written (Flux's `main@sha1:…`) and named. */
function refToList(ref: GitRepositoryRef | undefined): { ref: string; label?: string; what: string } {
  if (ref?.name) return { ref: ref.name, label: ref.name, what: `reference '${ref.name}'` };
  if (ref?.tag) return { ref: `refs/tags/${ref.tag}`, label: ref.tag, what: `tag '${ref.tag}'` };
  // A semver range or a commit is resolved by the automation that clones; access is checked on HEAD.
  if (ref?.semver || (ref?.commit && !ref.branch)) return { ref: "HEAD", what: "HEAD" };
  const branch = ref?.branch ?? "master";
  return { ref: `refs/heads/${branch}`, label: branch, what: `branch '${branch}'` };
}

export function reconcileGitRepository(deps: ControllerDeps, obj: GitRepository): Promise<ReconcileOutcome> {
  return reconcileWith(deps, obj, async (r) => {
    const credentials = gitUrlCredentials(obj.spec.url);
    if (credentials) return r.stall("InvalidURL", `spec.url ${gitUrlCredentialsMessage(credentials)}`);
    if (syncPathOf(obj) !== undefined) return sync(deps, obj, r);
    const intervalMs = parseDuration(obj.spec.interval);
    const want = refToList(obj.spec.ref);
    let sha: string | null;
    try {
      const auth = await gitAuthFor(deps, obj);
      const proxy = await proxyFromSecretRef(deps.store, obj);
      sha = await lsRemoteRef(obj.spec.url, want.ref, auth, gitTimeoutMs(obj), proxy);
    } catch (err) {
      if (err instanceof RetryError) return r.fail("AuthenticationFailed", err.message);
      if (err instanceof ProxySecretError) return r.fail("AuthenticationFailed", err.message);
      if (err instanceof GitError) {
        const why = err.op === "auth" ? "authentication failed: " : "";
        return r.fail("GitOperationFailed", `failed to list the remote: ${why}${err.message}`);
      }
      throw err;
    }
    if (sha === null) return r.fail("GitOperationFailed", `the remote has no ${want.what}`);
    const revision = want.label === undefined ? `sha1:${sha}` : `${want.label}@sha1:${sha}`;
    r.status.artifact = { revision, lastUpdateTime: r.nowIso };
    return r.ready(`remote reachable: revision '${revision}'`, { requeueAfterMs: intervalMs });
  });
}

/** A bootstrapped source: fetch, then apply the objects under its path (source-sync.ts). */
async function sync(
  deps: ControllerDeps,
  obj: GitRepository,
  r: ReconcileContext<"GitRepository">,
): Promise<Finished> {
  const intervalMs = parseDuration(obj.spec.interval);
  // Loaded on demand: plain sources and fleets without a bootstrapped one never need the sync.
  const { syncSource, summaryText, SourceManifestError } = await import("./source-sync.js");
  const { SourcePathError } = await import("./source-sync-files.js");
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
    if (err instanceof RetryError) return r.fail("AuthenticationFailed", err.message);
    if (err instanceof ProxySecretError) return r.fail("GitOperationFailed", err.message);
    if (err instanceof GitError) return r.fail("GitOperationFailed", `failed to fetch: ${err.message}`);
    throw err;
  }
}
