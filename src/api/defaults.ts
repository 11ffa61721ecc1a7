/**
 * Flux's defaults (CRD defaults plus the controllers' code defaults).
 *
 * Stored objects keep what the user wrote: `flux create … --export` prints only the fields that were
 * given, because CRD defaults are applied by the API server later. Controllers and validation work
 * on `withDefaults(obj)`, a resolved copy. Defaults that depend on another field or object (policy
 * repository namespace, repository timeout) are functions here and are never written into a spec.
 */
import { parseDuration } from "./duration.js";
import type { NamespacedName } from "./object-id.js";
import {
  type AnyObject,
  DEFAULT_NAMESPACE,
  type GitRepository,
  IMAGE_API_V1,
  IMAGE_API_V1BETA2,
  type ImagePolicy,
  type ImageRepository,
  type ImageUpdateAutomation,
} from "./types.js";

export const DEFAULT_EXCLUSION_LIST: readonly string[] = ["^.*\\.sig$"];
export const DEFAULT_PROVIDER = "generic";
export const DEFAULT_ORDER = "asc";
export const DEFAULT_DIGEST_REFLECTION_POLICY = "Never";
/** Controller default for `digestReflectionPolicy: Always` without an interval. */
export const DEFAULT_DIGEST_INTERVAL = "10m0s";
export const DEFAULT_UPDATE_STRATEGY = "Setters";
export const DEFAULT_SOURCE_KIND = "GitRepository";
export const DEFAULT_SIGNING_KEY_TYPE = "gpg";
export const DEFAULT_GIT_TIMEOUT = "60s";
export const DEFAULT_GIT_BRANCH = "master";
/** ImageRepository timeouts are clamped to at least one second (GetTimeout). */
export const MIN_REPOSITORY_TIMEOUT_MS = 1000;

/** `image.toolkit.fluxcd.io/v1beta2` → `…/v1`; other apiVersions unchanged. */
export function normalizeApiVersion(apiVersion: string): string {
  return apiVersion === IMAGE_API_V1BETA2 ? IMAGE_API_V1 : apiVersion;
}

/** A copy of `obj` with every default Flux would apply filled in; `obj` is not modified. */
export function withDefaults<T extends AnyObject>(obj: T): T {
  const copy = structuredClone(obj);
  copy.apiVersion = normalizeApiVersion(copy.apiVersion);
  if (copy.metadata) copy.metadata.namespace ||= DEFAULT_NAMESPACE;
  // Callers validate the result, so a spec that is missing or malformed is left for validation to report.
  if (copy.spec && typeof copy.spec === "object") applySpecDefaults(copy);
  return copy;
}

function applySpecDefaults(obj: AnyObject): void {
  switch (obj.kind) {
    case "ImageRepository":
      defaultImageRepository(obj);
      return;
    case "ImagePolicy":
      defaultImagePolicy(obj);
      return;
    case "ImageUpdateAutomation":
      defaultImageUpdateAutomation(obj);
      return;
    case "GitRepository":
      defaultGitRepository(obj);
      return;
  }
}

function defaultImageRepository(obj: ImageRepository): void {
  const spec = obj.spec;
  // The CRD default applies when the field is absent; the controller also treats [] as unset.
  if (!spec.exclusionList || spec.exclusionList.length === 0)
    spec.exclusionList = [...DEFAULT_EXCLUSION_LIST];
  spec.provider ||= DEFAULT_PROVIDER;
}

function defaultImagePolicy(obj: ImagePolicy): void {
  const policy = obj.spec?.policy;
  if (!policy) return;
  if (policy.alphabetical) policy.alphabetical.order ||= DEFAULT_ORDER;
  if (policy.numerical) policy.numerical.order ||= DEFAULT_ORDER;
  obj.spec.digestReflectionPolicy ||= DEFAULT_DIGEST_REFLECTION_POLICY;
}

function defaultImageUpdateAutomation(obj: ImageUpdateAutomation): void {
  const spec = obj.spec;
  if (spec.sourceRef) spec.sourceRef.kind ||= DEFAULT_SOURCE_KIND;
  spec.update ??= { strategy: DEFAULT_UPDATE_STRATEGY };
  spec.update.strategy ||= DEFAULT_UPDATE_STRATEGY;
  const signingKey = spec.git?.commit?.signingKey;
  if (signingKey) signingKey.type ||= DEFAULT_SIGNING_KEY_TYPE;
}

function defaultGitRepository(obj: GitRepository): void {
  const spec = obj.spec;
  spec.timeout ||= DEFAULT_GIT_TIMEOUT;
  const ref = spec.ref ?? {};
  if (!ref.branch && !ref.tag && !ref.semver && !ref.name && !ref.commit) ref.branch = DEFAULT_GIT_BRANCH;
  spec.ref = ref;
}

/** The ImageRepository a policy reads from; its namespace defaults to the policy's. */
export function policyRepositoryRef(policy: ImagePolicy): NamespacedName {
  const ref = policy.spec.imageRepositoryRef;
  return { name: ref.name, namespace: ref.namespace || policy.metadata.namespace || DEFAULT_NAMESPACE };
}

/** The GitRepository an automation pushes to; its namespace defaults to the automation's. */
export function automationSourceRef(automation: ImageUpdateAutomation): NamespacedName {
  const ref = automation.spec.sourceRef;
  return { name: ref.name, namespace: ref.namespace || automation.metadata.namespace || DEFAULT_NAMESPACE };
}

/** Scan timeout in ms: `spec.timeout`, else `spec.interval`, at least one second. */
export function repositoryTimeoutMs(repo: ImageRepository): number {
  const ms = parseDuration(repo.spec.timeout || repo.spec.interval);
  return Math.max(ms, MIN_REPOSITORY_TIMEOUT_MS);
}

/** Clone/push timeout in ms (`spec.timeout`, default 60s). */
export function gitTimeoutMs(repo: GitRepository): number {
  return parseDuration(repo.spec.timeout || DEFAULT_GIT_TIMEOUT);
}

/** Digest refresh period for `digestReflectionPolicy: Always` (`spec.interval`, default 10m). */
export function digestIntervalMs(policy: ImagePolicy): number {
  return parseDuration(policy.spec.interval || DEFAULT_DIGEST_INTERVAL);
}
