/**
 * How a Git source sync marks what it owns, kept on the objects themselves (no store table):
 * the sync's path on the GitRepository, owner labels on every object it applied (so a label
 * selector finds what to prune), and the source revision at which each object last changed.
 */
import type { AnyObject, GitRepository } from "../api/types.js";

/** On a GitRepository: the path whose manifests it keeps in the store (set by `bootstrap`). */
export const SYNC_PATH_ANNOTATION = "imagectl.io/sync-path";

/** The path a bootstrapped GitRepository syncs, or undefined for a plain source. */
export function syncPathOf(repo: GitRepository): string | undefined {
  return repo.metadata.annotations?.[SYNC_PATH_ANNOTATION] || undefined;
}
/** On an object applied from Git: the GitRepository that owns it. */
export const SOURCE_NAME_LABEL = "imagectl.io/source-name";
export const SOURCE_NAMESPACE_LABEL = "imagectl.io/source-namespace";
/** On an object applied from Git: the source revision at which it was last created or changed. */
export const SOURCE_REVISION_ANNOTATION = "imagectl.io/source-revision";

export interface SourceOwner {
  namespace: string;
  name: string;
  /** `<branch>@sha1:<sha>`, when known. */
  revision?: string;
}

/** The GitRepository that owns `obj`, if a sync applied it. */
export function ownerOf(obj: AnyObject): SourceOwner | undefined {
  const name = obj.metadata.labels?.[SOURCE_NAME_LABEL];
  const namespace = obj.metadata.labels?.[SOURCE_NAMESPACE_LABEL];
  if (!name || !namespace) return undefined;
  const revision = obj.metadata.annotations?.[SOURCE_REVISION_ANNOTATION];
  return { namespace, name, ...(revision ? { revision } : {}) };
}

/** `ns/name@branch@sha1:abc1234` for tables. */
export function ownerText(owner: SourceOwner): string {
  const rev = owner.revision?.replace(/(@sha1:[0-9a-f]{7})[0-9a-f]+$/, "$1");
  return `${owner.namespace}/${owner.name}${rev ? `@${rev}` : ""}`;
}
