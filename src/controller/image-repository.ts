import { createHash } from "node:crypto";
import { DEFAULT_EXCLUSION_LIST, repositoryTimeoutMs } from "../api/defaults.js";
import { formatDuration, parseDuration } from "../api/duration.js";
import type { ImageRepository } from "../api/types.js";
import { compareBytes, compileExclusionList, latestTags, PolicySpecError } from "../policy/index.js";
import {
  CloudAuthError,
  CloudHostMismatchError,
  forgetCloudCredentials,
  InvalidImageReferenceError,
  listTags,
  parseImageReference,
  RegistryError,
} from "../registry/index.js";
import { RECONCILE_REQUESTED_AT } from "../store/store.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { ProxySecretError } from "./proxy-secret.js";
import { type Finished, type ReconcileContext, reconcileWith } from "./reconcile-context.js";
import { registryOptionsFor, SecretMissingError } from "./registry-secrets.js";
import { reportScanned } from "./telemetry.js";

/** The checksum Flux's file storage publishes as `lastScanResult.revision`. */
export function tagsRevision(sortedTags: readonly string[]): string {
  return `sha256:${createHash("sha256").update(sortedTags.join("\n")).digest("hex")}`;
}

/** Why a scan is due now (Flux's shouldScan reasons), or undefined when the last scan is fresh. */
function scanReason(
  obj: ImageRepository,
  canonical: string,
  exclusion: readonly string[],
  haveTags: boolean,
  now: Date,
): string | undefined {
  const st = obj.status;
  const scanTime = st?.lastScanResult?.scanTime;
  if (!scanTime) return "first scan";
  const requested = obj.metadata.annotations?.[RECONCILE_REQUESTED_AT];
  if (requested && requested !== st?.lastHandledReconcileAt) return "reconcile requested";
  if (st?.canonicalImageName !== canonical) return "new image name";
  const observed = new Set(st?.observedExclusionList ?? []);
  if (observed.size !== new Set(exclusion).size || exclusion.some((e) => !observed.has(e)))
    return "updated exclusion list";
  if (!haveTags) return "no tags in database";
  if (obj.metadata.generation !== st?.observedGeneration) return "new generation";
  const interval = parseDuration(obj.spec.interval);
  if (interval - (now.getTime() - Date.parse(scanTime)) < 1000) return "triggered by interval";
  return undefined;
}

/** Scans the repository's registry when due and records its tags and status. */
export function reconcileImageRepository(
  deps: ControllerDeps,
  obj: ImageRepository,
  opts: { force?: boolean } = {},
): Promise<ReconcileOutcome> {
  return reconcileWith(deps, obj, (r) => scan(deps, obj, r, opts.force ?? false));
}

async function scan(
  deps: ControllerDeps,
  obj: ImageRepository,
  r: ReconcileContext<"ImageRepository">,
  force: boolean,
): Promise<Finished> {
  const { namespace, name } = obj.metadata;
  let ref: ReturnType<typeof parseImageReference>;
  try {
    ref = parseImageReference(obj.spec.image, { insecure: obj.spec.insecure });
  } catch (err) {
    return r.stall("ImageURLInvalid", err instanceof InvalidImageReferenceError ? err.message : String(err));
  }
  const exclusion = obj.spec.exclusionList?.length ? obj.spec.exclusionList : [...DEFAULT_EXCLUSION_LIST];
  let isExcluded: (tag: string) => boolean;
  try {
    isExcluded = compileExclusionList(exclusion);
  } catch (err) {
    const message = err instanceof PolicySpecError ? `${err.field}: ${err.message}` : String(err);
    return r.stall("InvalidExclusionList", message);
  }

  const stored = await deps.store.getTags(namespace, name);
  const reason = force
    ? "reconcile requested"
    : scanReason(obj, ref.canonicalName, exclusion, !!stored, r.now);
  const intervalMs = parseDuration(obj.spec.interval);
  if (!reason) {
    const elapsed = r.now.getTime() - Date.parse(obj.status?.lastScanResult?.scanTime ?? r.nowIso);
    return r.idle(Math.max(1000, intervalMs - elapsed));
  }

  let tags: string[];
  const provider = obj.spec.provider ?? "generic";
  try {
    // One deadline for the cloud's token exchange and the listing, as Flux's spec.timeout.
    const timeoutMs = repositoryTimeoutMs(obj);
    const started = performance.now();
    const regOpts = await registryOptionsFor(deps, obj, { signal: AbortSignal.timeout(timeoutMs) });
    // Generic credentials are local reads: the listing keeps the whole (and its message says so).
    const left =
      provider === "generic" ? timeoutMs : Math.max(1, Math.floor(timeoutMs - (performance.now() - started)));
    const result = await listTags(ref, { ...regOpts, timeoutMs: left });
    tags = result.tags.filter((t) => !isExcluded(t));
    reportScanned({ namespace, name, durationMs: performance.now() - started, tags: tags.length });
  } catch (err) {
    if (
      err instanceof SecretMissingError ||
      err instanceof ProxySecretError ||
      err instanceof CloudHostMismatchError ||
      err instanceof CloudAuthError
    )
      return r.fail("AuthenticationFailed", err.message);
    const message = `scan failed: ${err instanceof Error ? err.message : String(err)}`;
    const auth = err instanceof RegistryError && err.kind === "auth";
    // The registry refused what the cloud minted (revoked, or scoped elsewhere): mint anew next time.
    if (auth && provider !== "generic") forgetCloudCredentials(provider, ref.registry);
    return r.fail(auth ? "AuthenticationFailed" : "ReadOperationFailed", message);
  }

  tags.sort((a, b) => compareBytes(b, a));
  const revision = tagsRevision(tags);
  const changed = stored?.revision !== revision;
  await deps.store.putTags(namespace, name, tags, { revision, scanTime: r.nowIso });
  Object.assign(r.status, {
    canonicalImageName: ref.canonicalName,
    observedExclusionList: [...exclusion],
    lastScanResult: {
      revision,
      tagCount: tags.length,
      scanTime: r.nowIso,
      ...(tags.length ? { latestTags: latestTags(tags) } : {}),
    },
  });
  const next = formatDuration(intervalMs);
  return r.ready(`successful scan: found ${tags.length} tags with checksum ${revision}`, {
    event: changed ? `successful scan, next scan in ${next}` : `tags did not change, next scan in ${next}`,
    requeueAfterMs: intervalMs,
  });
}
