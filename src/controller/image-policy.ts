import { digestIntervalMs, repositoryTimeoutMs } from "../api/defaults.js";
import { imageRefString, readyMessage, sameImageRef } from "../api/image-ref.js";
import type { ImagePolicy, ImageRef, ImageRepository } from "../api/types.js";
import { buildPolicy, DEFAULT_POLICY_TIMEOUT_MS, PolicySpecError } from "../policy/index.js";
import { fetchDigest, parseImageReference, RegistryError } from "../registry/index.js";
import { isStalled } from "./conditions.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { needsImageFacts, readSelectionOptions, selectByFacts } from "./policy-inputs.js";
import { evaluateInThread } from "./policy-pool.js";
import { type Finished, type ReconcileContext, reconcileWith } from "./reconcile-context.js";
import { registryOptionsFor } from "./registry-secrets.js";
import { reportLatestRefChanged } from "./telemetry.js";

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
export function reconcileImagePolicy(deps: ControllerDeps, obj: ImagePolicy): Promise<ReconcileOutcome> {
  return reconcileWith(deps, obj, (r) => select(deps, obj, r));
}

async function select(
  deps: ControllerDeps,
  obj: ImagePolicy,
  r: ReconcileContext<"ImagePolicy">,
): Promise<Finished> {
  const namespace = obj.metadata.namespace;
  // imagectl's selection annotations (docs/selection.md); all of their work is in policy-inputs.ts.
  const selection = readSelectionOptions(obj.metadata.annotations);
  const bad = selection.problems[0];
  if (bad) return r.stall("InvalidPolicy", `${bad.field}: ${bad.message}`);
  try {
    // Checked here too, before any lookup: an invalid spec stalls whatever else is missing.
    buildPolicy(obj.spec.policy, obj.spec.filterTags, selection.options);
  } catch (err) {
    const message = err instanceof PolicySpecError ? `${err.field}: ${err.message}` : String(err);
    return r.stall("InvalidPolicy", message);
  }
  const digestInterval = obj.spec.digestReflectionPolicy === "Always" ? digestIntervalMs(obj) : undefined;
  const waitForRepository = { requeueAfterMs: DEPENDENCY_REQUEUE_MS };

  const repoNs = obj.spec.imageRepositoryRef.namespace ?? namespace;
  const repoName = obj.spec.imageRepositoryRef.name;
  const repo = await deps.store.get("ImageRepository", repoNs, repoName);
  if (!repo)
    return r.fail(
      "DependencyNotReady",
      `referenced ImageRepository '${repoNs}/${repoName}' not found`,
      waitForRepository,
    );
  if (repoNs !== namespace && !crossNamespaceAllowed(repo))
    return r.fail(
      "AccessDenied",
      `cannot access ImageRepository '${repoNs}/${repoName}': its spec.accessFrom does not allow namespace '${namespace}'`,
    );
  if (isStalled(repo.status) && repo.status?.conditions?.some((c) => c.reason === "ImageURLInvalid"))
    return r.stall(
      "ImageURLInvalid",
      `referenced ImageRepository '${repoNs}/${repoName}' has an invalid image`,
    );
  const stored = await deps.store.getTags(repoNs, repoName);
  if (!stored || stored.tags.length === 0)
    return r.fail("DependencyNotReady", "retrying in 30s error: no tags in database", waitForRepository);

  // In a worker of the pool when the daemon runs: a slow pattern must not hold its event loop.
  // With selection rules that need image facts, every candidate comes back ranked (the facts are
  // read for them, best first, within the read budget); otherwise only the winner.
  const needsFacts = needsImageFacts(selection.options);
  const evaluate = deps.evaluatePolicy ?? evaluateInThread;
  const limitMs = deps.policyTimeoutMs ?? DEFAULT_POLICY_TIMEOUT_MS;
  const result = await evaluate(
    {
      policy: obj.spec.policy,
      ...(obj.spec.filterTags && { filterTags: obj.spec.filterTags }),
      ...(selection.options.prereleaseOrder && {
        extensions: { prereleaseOrder: selection.options.prereleaseOrder },
      }),
      top: needsFacts ? Number.POSITIVE_INFINITY : 1,
      limitMs,
    },
    stored.tags,
  );
  if (!result.ok) {
    const { failure } = result;
    if (failure.kind === "invalid-spec")
      return r.stall("InvalidPolicy", `${failure.field}: ${failure.message}`);
    if (failure.kind === "deadline")
      return r.fail(
        "EvaluationTimeout",
        `ImagePolicy '${namespace}/${obj.metadata.name}': ${failure.message}`,
      );
    return r.fail("Failure", failure.message);
  }
  let tag = result.selection.latest;
  let factRequeueMs: number | undefined;
  if (needsFacts) {
    try {
      const got = await selectByFacts(
        deps,
        obj,
        repo,
        result.selection.candidates,
        stored,
        selection.options,
      );
      if (!got.ok) return r.fail(got.reason, got.message, { requeueAfterMs: got.requeueAfterMs });
      tag = got.tag;
      factRequeueMs = got.requeueAfterMs;
    } catch (err) {
      return r.fail("Failure", err instanceof Error ? err.message : String(err));
    }
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
      return r.fail("DigestLookupFailed", message);
    }
  } else if (obj.spec.digestReflectionPolicy === "IfNotPresent" && previous?.digest) {
    latest.digest = previous.digest;
  }

  const changed = !sameImageRef(previous, latest);
  r.status.latestRef = latest;
  if (changed && previous) r.status.observedPreviousRef = previous;
  const message = readyMessage(latest, r.status.observedPreviousRef);
  if (changed) {
    reportLatestRefChanged({ namespace, name: obj.metadata.name, latest, ...(previous && { previous }) });
  }
  return r.ready(message, {
    // A new selection is news; the same one again is not.
    ...(changed ? { event: message, eventMetadata: { revision: imageRefString(latest) } } : {}),
    ...(digestInterval === undefined && factRequeueMs === undefined
      ? {}
      : {
          requeueAfterMs: Math.min(
            digestInterval ?? Number.POSITIVE_INFINITY,
            factRequeueMs ?? Number.POSITIVE_INFINITY,
          ),
        }),
  });
}

/** Namespaces carry no labels here, so only an empty matchLabels ("any namespace") admits others. */
function crossNamespaceAllowed(repo: ImageRepository): boolean {
  return (repo.spec.accessFrom?.namespaceSelectors ?? []).some(
    (s) => Object.keys(s.matchLabels ?? {}).length === 0,
  );
}
