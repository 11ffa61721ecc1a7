import { digestIntervalMs, repositoryTimeoutMs } from "../api/defaults.js";
import { readyMessage, sameImageRef } from "../api/image-ref.js";
import type { ImagePolicy, ImagePolicyStatus, ImageRef, ImageRepository } from "../api/types.js";
import { buildPolicy, NoSelectableTagError, PolicySpecError, selectLatest } from "../policy/index.js";
import { fetchDigest, parseImageReference, RegistryError } from "../registry/index.js";
import { isStalled, markFailed, markReady, markStalled } from "./conditions.js";
import type { ControllerDeps } from "./controller-deps.js";
import { REQUEST_ANNOTATION, type ReconcileOutcome } from "./outcome.js";
import { registryOptionsFor } from "./registry-secrets.js";

/** Flux's --requeue-dependency: how long a policy waits for its repository. */
export const DEPENDENCY_REQUEUE_MS = 30_000;

/**
 * Whether the digest of the selected tag must be fetched (Flux's updateImageRefs):
 * Always → every time; IfNotPresent → when the ref is new or has no digest yet; Never → never.
 */
export function needsDigest(
  policy: ImagePolicy["spec"]["digestReflectionPolicy"],
  previous: ImageRef | undefined,
  name: string,
  tag: string,
): boolean {
  if (policy === "Always") return true;
  if (policy !== "IfNotPresent") return false;
  return !previous || previous.name !== name || previous.tag !== tag || !previous.digest;
}

/** Selects the latest tag from the repository's stored tags and publishes status.latestRef. */
export async function reconcileImagePolicy(
  deps: ControllerDeps,
  obj: ImagePolicy,
): Promise<ReconcileOutcome> {
  const { namespace, name } = obj.metadata;
  const gen = obj.metadata.generation;
  const nowIso = deps.now().toISOString();
  const base: ImagePolicyStatus = { ...(obj.status ?? {}) };
  const requested = obj.metadata.annotations?.[REQUEST_ANNOTATION];
  const finish = async (status: ImagePolicyStatus, outcome: ReconcileOutcome) => {
    if (requested) status.lastHandledReconcileAt = requested;
    await deps.store.updateStatus("ImagePolicy", namespace, name, status);
    return outcome;
  };
  const stall = (reason: string, message: string) =>
    finish(markStalled(base, reason, message, nowIso, gen), { ready: false, stalled: true, message });
  const fail = (reason: string, message: string, requeueAfterMs?: number) =>
    finish(markFailed(base, reason, message, nowIso, gen), {
      ready: false,
      stalled: false,
      failed: true,
      message,
      ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }),
    });
  if (obj.spec.suspend) return { ready: false, stalled: false, suspended: true, message: "suspended" };

  let policy: ReturnType<typeof buildPolicy>;
  try {
    policy = buildPolicy(obj.spec.policy, obj.spec.filterTags);
  } catch (err) {
    const message = err instanceof PolicySpecError ? `${err.field}: ${err.message}` : String(err);
    return stall("InvalidPolicy", message);
  }
  const digestInterval = obj.spec.digestReflectionPolicy === "Always" ? digestIntervalMs(obj) : undefined;

  const repoNs = obj.spec.imageRepositoryRef.namespace ?? namespace;
  const repoName = obj.spec.imageRepositoryRef.name;
  const repo = await deps.store.get("ImageRepository", repoNs, repoName);
  if (!repo) {
    const message = `referenced ImageRepository '${repoNs}/${repoName}' not found`;
    return fail("DependencyNotReady", message, DEPENDENCY_REQUEUE_MS);
  }
  if (repoNs !== namespace && !crossNamespaceAllowed(repo)) {
    const message = `cannot access ImageRepository '${repoNs}/${repoName}': its spec.accessFrom does not allow namespace '${namespace}'`;
    return fail("AccessDenied", message);
  }
  if (isStalled(repo.status) && repo.status?.conditions?.some((c) => c.reason === "ImageURLInvalid")) {
    const message = `referenced ImageRepository '${repoNs}/${repoName}' has an invalid image`;
    return stall("ImageURLInvalid", message);
  }
  const stored = await deps.store.getTags(repoNs, repoName);
  if (!stored || stored.tags.length === 0) {
    const message = "retrying in 30s error: no tags in database";
    return fail("DependencyNotReady", message, DEPENDENCY_REQUEUE_MS);
  }

  let tag: string;
  try {
    tag = selectLatest(policy, stored.tags).latest;
  } catch (err) {
    const message =
      err instanceof NoSelectableTagError ? err.message : err instanceof Error ? err.message : String(err);
    return fail("Failure", message);
  }

  const previous = obj.status?.latestRef;
  const latest: ImageRef = { name: repo.spec.image, tag };
  if (needsDigest(obj.spec.digestReflectionPolicy, previous, latest.name, tag)) {
    try {
      const ref = parseImageReference(repo.spec.image, { insecure: repo.spec.insecure });
      const regOpts = await registryOptionsFor(deps, repo);
      latest.digest = await fetchDigest(ref, tag, { ...regOpts, timeoutMs: repositoryTimeoutMs(repo) });
    } catch (err) {
      const message = `failed to fetch digest of ${repo.spec.image}:${tag}: ${err instanceof RegistryError || err instanceof Error ? err.message : String(err)}`;
      return fail("DigestLookupFailed", message);
    }
  } else if (obj.spec.digestReflectionPolicy === "IfNotPresent" && previous?.digest) {
    latest.digest = previous.digest;
  }

  const changed = !sameImageRef(previous, latest);
  const status: ImagePolicyStatus = { ...base, latestRef: latest };
  if (changed && previous) status.observedPreviousRef = previous;
  const message = readyMessage(latest, status.observedPreviousRef);
  const outcome: ReconcileOutcome = { ready: true, stalled: false, message, changed };
  if (digestInterval !== undefined) outcome.requeueAfterMs = digestInterval;
  if (changed) {
    await deps.store.recordEvent({
      kind: "ImagePolicy",
      namespace,
      name,
      type: "Normal",
      reason: "Succeeded",
      message,
      at: nowIso,
    });
  }
  return finish(markReady(status, "Succeeded", message, nowIso, gen), outcome);
}

/** Namespaces carry no labels here, so only an empty matchLabels ("any namespace") admits others. */
function crossNamespaceAllowed(repo: ImageRepository): boolean {
  return (repo.spec.accessFrom?.namespaceSelectors ?? []).some(
    (s) => Object.keys(s.matchLabels ?? {}).length === 0,
  );
}
