import { createHash } from "node:crypto";
import { DEFAULT_EXCLUSION_LIST, repositoryTimeoutMs } from "../api/defaults.js";
import { formatDuration, parseDuration } from "../api/duration.js";
import type { ImageRepository, ImageRepositoryStatus } from "../api/types.js";
import { compareBytes, compileExclusionList, latestTags, PolicySpecError } from "../policy/index.js";
import {
  InvalidImageReferenceError,
  listTags,
  parseImageReference,
  RegistryError,
} from "../registry/index.js";
import { markFailed, markReady, markStalled } from "./conditions.js";
import { type ControllerEnv, registryOptionsFor, SecretMissingError } from "./env.js";
import { REQUEST_ANNOTATION, type ReconcileOutcome } from "./outcome.js";
import { ProxySecretError } from "./proxy-secret.js";

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
  const requested = obj.metadata.annotations?.[REQUEST_ANNOTATION];
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
export async function reconcileImageRepository(
  env: ControllerEnv,
  obj: ImageRepository,
  opts: { force?: boolean } = {},
): Promise<ReconcileOutcome> {
  const { namespace, name } = obj.metadata;
  const gen = obj.metadata.generation;
  const now = env.now();
  const nowIso = now.toISOString();
  const base: ImageRepositoryStatus = { ...(obj.status ?? {}) };
  const requested = obj.metadata.annotations?.[REQUEST_ANNOTATION];
  const save = (status: ImageRepositoryStatus) =>
    env.store.updateStatus("ImageRepository", namespace, name, status);

  if (obj.spec.suspend) return { ready: false, stalled: false, suspended: true, message: "suspended" };

  let ref: ReturnType<typeof parseImageReference>;
  try {
    ref = parseImageReference(obj.spec.image, { insecure: obj.spec.insecure });
  } catch (err) {
    const message = err instanceof InvalidImageReferenceError ? err.message : String(err);
    const status = markStalled(base, "ImageURLInvalid", message, nowIso, gen);
    if (requested) status.lastHandledReconcileAt = requested;
    await save(status);
    return { ready: false, stalled: true, message };
  }
  if (obj.spec.provider && obj.spec.provider !== "generic") {
    // Cloud workload identity (aws/azure/gcp) needs the cloud's metadata services; not available here.
    const message = `spec.provider: '${obj.spec.provider}' is not supported; use 'generic' with spec.secretRef or a Docker credential helper`;
    await save(markStalled(base, "ProviderNotSupported", message, nowIso, gen));
    return { ready: false, stalled: true, message };
  }
  const exclusion = obj.spec.exclusionList?.length ? obj.spec.exclusionList : [...DEFAULT_EXCLUSION_LIST];
  try {
    compileExclusionList(exclusion);
  } catch (err) {
    const message = err instanceof PolicySpecError ? `${err.field}: ${err.message}` : String(err);
    await save(markStalled(base, "InvalidExclusionList", message, nowIso, gen));
    return { ready: false, stalled: true, message };
  }

  const stored = await env.store.getTags(namespace, name);
  const reason = opts.force
    ? "reconcile requested"
    : scanReason(obj, ref.canonicalName, exclusion, !!stored, now);
  const intervalMs = parseDuration(obj.spec.interval);
  if (!reason) {
    const elapsed = now.getTime() - Date.parse(obj.status?.lastScanResult?.scanTime ?? nowIso);
    return {
      ready: true,
      stalled: false,
      requeueAfterMs: Math.max(1000, intervalMs - elapsed),
      message: obj.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
    };
  }

  let tags: string[];
  try {
    const regOpts = await registryOptionsFor(env, obj);
    const result = await listTags(ref, {
      ...regOpts,
      exclusionList: exclusion,
      timeoutMs: repositoryTimeoutMs(obj),
    });
    tags = result.tags;
  } catch (err) {
    let reasonCode = "ReadOperationFailed";
    let message: string;
    if (err instanceof SecretMissingError || err instanceof ProxySecretError) {
      reasonCode = "AuthenticationFailed";
      message = err.message;
    } else if (err instanceof RegistryError) {
      if (err.kind === "auth") reasonCode = "AuthenticationFailed";
      message = `scan failed: ${err.message}`;
    } else {
      message = `scan failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    const status = markFailed(base, reasonCode, message, nowIso, gen);
    if (requested) status.lastHandledReconcileAt = requested;
    await save(status);
    await env.store.recordEvent({
      kind: "ImageRepository",
      namespace,
      name,
      type: "Warning",
      reason: reasonCode,
      message,
      at: nowIso,
    });
    return { ready: false, stalled: false, failed: true, message };
  }

  tags.sort((a, b) => compareBytes(b, a));
  const revision = tagsRevision(tags);
  const changed = stored?.revision !== revision;
  await env.store.putTags(namespace, name, tags, { revision, scanTime: nowIso });
  const message = `successful scan: found ${tags.length} tags with checksum ${revision}`;
  const status: ImageRepositoryStatus = markReady(
    {
      ...base,
      canonicalImageName: ref.canonicalName,
      observedExclusionList: [...exclusion],
      lastScanResult: {
        revision,
        tagCount: tags.length,
        scanTime: nowIso,
        ...(tags.length ? { latestTags: latestTags(tags) } : {}),
      },
    },
    "Succeeded",
    message,
    nowIso,
    gen,
  );
  if (requested) status.lastHandledReconcileAt = requested;
  await save(status);
  const next = formatDuration(intervalMs);
  await env.store.recordEvent({
    kind: "ImageRepository",
    namespace,
    name,
    type: "Normal",
    reason: "Succeeded",
    message: changed ? `successful scan, next scan in ${next}` : `tags did not change, next scan in ${next}`,
    at: nowIso,
  });
  return { ready: true, stalled: false, requeueAfterMs: intervalMs, message, changed };
}
