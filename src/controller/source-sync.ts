/**
 * The Git source sync (what Flux's kustomize-controller does for a bootstrapped repository, for the
 * kinds imagectl knows): read every manifest under the GitRepository's sync path at the branch head,
 * validate the whole set, apply what differs from the store in one transaction, then prune the
 * objects an earlier sync applied that Git no longer has, one delete each (a store failure part-way
 * leaves the rest for the next sync, which finishes them). An invalid set changes nothing.
 * Objects made by hand carry no owner labels and are never pruned.
 */

import { gitTimeoutMs } from "../api/defaults.js";
import { type ObjectId, objectIdOf, objectKey } from "../api/object-id.js";
import type { AnyObject, GitRepository, Kind } from "../api/types.js";
import { KINDS } from "../api/types.js";
import { readAtHead } from "../git/index.js";
import { jsonEqual } from "../store/canonical.js";
import { RECONCILE_REQUESTED_AT } from "../store/store.js";
import { APPLY_ORDER, applySet, readManifestSet } from "./apply-set.js";
import { gitCacheDir } from "./automation-plan.js";
import type { ControllerDeps } from "./controller-deps.js";
import { gitAuthFor } from "./git-auth.js";
import { proxyFromSecretRef } from "./proxy-secret.js";
import { readSourceManifests } from "./source-sync-files.js";
import {
  SOURCE_NAME_LABEL,
  SOURCE_NAMESPACE_LABEL,
  SOURCE_REVISION_ANNOTATION,
  syncPathOf,
} from "./source-sync-labels.js";

/** The manifests at a revision are invalid; `problems` name file, document, object and field. */
export class SourceManifestError extends Error {
  override name = "SourceManifestError";
  constructor(
    readonly revision: string,
    readonly problems: string[],
  ) {
    super(`invalid manifests at revision '${revision}', nothing applied:\n${problems.join("\n")}`);
  }
}

export interface SyncSummary {
  /** `<branch>@sha1:<sha>`. */
  revision: string;
  created: ObjectId[];
  configured: ObjectId[];
  pruned: ObjectId[];
  unchanged: number;
}

// Documents of these API groups are imagectl's; of the source group only GitRepository. Everything
// else in a Flux repository (Deployments, Kustomizations, HelmReleases, Secrets…) is skipped unread.
const OWN_KINDS: Record<string, readonly string[] | "all"> = {
  "image.toolkit.fluxcd.io": "all",
  "notification.toolkit.fluxcd.io": ["Receiver", "Provider", "Alert"],
  "source.toolkit.fluxcd.io": ["GitRepository"],
};

/** Whether a YAML document is one of imagectl's kinds (then it is validated strictly). */
export function isOwnKind(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== "string") return false;
  const own = OWN_KINDS[apiVersion.split("/")[0] ?? ""];
  if (own === undefined) return false;
  return own === "all" || (typeof kind === "string" && own.includes(kind));
}

function withoutBookkeeping(annotations: Record<string, string> | undefined, keepRequest: boolean) {
  const out = { ...annotations };
  delete out[SOURCE_REVISION_ANNOTATION];
  if (!keepRequest) delete out[RECONCILE_REQUESTED_AT];
  return out;
}

/** Same apiVersion, spec, labels and annotations (ignoring the sync's revision and a pending request). */
function sameContent(want: AnyObject, stored: AnyObject): boolean {
  const wantsRequest = want.metadata.annotations?.[RECONCILE_REQUESTED_AT] !== undefined;
  return (
    want.apiVersion === stored.apiVersion &&
    jsonEqual(want.spec, stored.spec) &&
    jsonEqual(want.metadata.labels ?? {}, stored.metadata.labels ?? {}) &&
    jsonEqual(
      withoutBookkeeping(want.metadata.annotations, wantsRequest),
      withoutBookkeeping(stored.metadata.annotations, wantsRequest),
    )
  );
}

async function storedByKey(deps: ControllerDeps): Promise<Map<string, AnyObject>> {
  const all = new Map<string, AnyObject>();
  for (const kind of KINDS) for (const o of await deps.store.list(kind)) all.set(objectKey(o), o);
  return all;
}

/**
 * One sync of `repo` (which must have a sync path). Throws GitError for the fetch,
 * SourcePathError / SourceManifestError for what was read; in those cases nothing was written.
 */
export async function syncSource(
  deps: ControllerDeps,
  repo: GitRepository,
  opts: { signal?: AbortSignal } = {},
): Promise<SyncSummary> {
  const path = syncPathOf(repo) ?? ".";
  const { namespace, name } = repo.metadata;
  const branch = repo.spec.ref?.branch ?? "master";
  const { head, value: sources } = await readAtHead(
    {
      cacheDir: gitCacheDir(deps.home, namespace, name),
      url: repo.spec.url,
      branch,
      auth: await gitAuthFor(deps, repo),
      proxy: await proxyFromSecretRef(deps.store, repo),
      timeoutMs: gitTimeoutMs(repo),
      signal: opts.signal,
    },
    (workTree) => readSourceManifests(workTree, path),
  );
  const revision = `${branch}@sha1:${head}`;
  const set = await readManifestSet(sources, { defaultNamespace: namespace, select: isOwnKind });
  if (set.problems.length) throw new SourceManifestError(revision, set.problems);

  const owner = { [SOURCE_NAME_LABEL]: name, [SOURCE_NAMESPACE_LABEL]: namespace };
  const stored = await storedByKey(deps);
  const wanted = new Set<string>();
  const changed: AnyObject[] = [];
  for (const obj of set.objects) {
    const key = objectKey(obj);
    wanted.add(key);
    const want = { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, ...owner } } };
    const have = stored.get(key);
    if (have && sameContent(want, have)) continue;
    // The revision is stamped only on what changes, so a resync without news writes nothing.
    want.metadata.annotations = { ...obj.metadata.annotations, [SOURCE_REVISION_ANNOTATION]: revision };
    changed.push(want as AnyObject);
  }
  const { objects, results } = await applySet(deps.store, changed);
  const summary: SyncSummary = {
    revision,
    created: [],
    configured: [],
    pruned: [],
    unchanged: set.objects.length - changed.length,
  };
  results.forEach((r, i) => {
    const id = objectIdOf(objects[i]!);
    if (r.action === "created") summary.created.push(id);
    else if (r.action === "configured") summary.configured.push(id);
    else summary.unchanged++;
  });

  // Prune in reverse dependency order; the source never prunes itself.
  const self = objectKey(repo);
  const gone = [...stored.values()].filter((o) => {
    const key = objectKey(o);
    return (
      key !== self &&
      !wanted.has(key) &&
      o.metadata.labels?.[SOURCE_NAME_LABEL] === name &&
      o.metadata.labels?.[SOURCE_NAMESPACE_LABEL] === namespace
    );
  });
  const rank = (k: Kind) => APPLY_ORDER.indexOf(k);
  gone.sort((a, b) => rank(b.kind) - rank(a.kind));
  for (const o of gone) {
    if (await deps.store.delete(o.kind, o.metadata.namespace, o.metadata.name))
      summary.pruned.push(objectIdOf(o));
  }
  return summary;
}

/** `created 2, configured 1, pruned 1` (only the non-zero parts), or "no changes". */
export function summaryText(s: SyncSummary): string {
  const parts = (
    [
      ["created", s.created.length],
      ["configured", s.configured.length],
      ["pruned", s.pruned.length],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([w, n]) => `${w} ${n}`);
  return parts.length ? parts.join(", ") : "no changes";
}
