/**
 * Flux's resource model, field for field (image.toolkit.fluxcd.io/v1, source.toolkit.fluxcd.io/v1,
 * and the notification kinds in notification-types.ts). Field names and optionality follow the
 * upstream Go types so that manifests round-trip unchanged.
 */
import type {
  AlertSpec,
  AlertStatus,
  ProviderSpec,
  ProviderStatus,
  ReceiverSpec,
  ReceiverStatus,
} from "./notification-types.js";

export const IMAGE_GROUP = "image.toolkit.fluxcd.io";
export const SOURCE_GROUP = "source.toolkit.fluxcd.io";
export const IMAGE_API_V1 = `${IMAGE_GROUP}/v1`;
export const IMAGE_API_V1BETA2 = `${IMAGE_GROUP}/v1beta2`;
export const SOURCE_API_V1 = `${SOURCE_GROUP}/v1`;
export const DEFAULT_NAMESPACE = "flux-system";

export const KINDS = [
  "ImageRepository",
  "ImagePolicy",
  "ImageUpdateAutomation",
  "GitRepository",
  "Receiver",
  "Provider",
  "Alert",
] as const;
export type Kind = (typeof KINDS)[number];

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Bumped by the store whenever the spec changes (as the Kubernetes API server does). */
  generation?: number;
  creationTimestamp?: string;
}

export interface LocalObjectReference {
  name: string;
}

export interface NamespacedObjectReference {
  name: string;
  namespace?: string;
}

export interface Condition {
  type: "Ready" | "Reconciling" | "Stalled" | string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface CommonStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastHandledReconcileAt?: string;
}

// ---------------------------------------------------------------- ImageRepository

export interface AccessFrom {
  namespaceSelectors: { matchLabels?: Record<string, string> }[];
}

export interface ImageRepositorySpec {
  image: string;
  interval: string;
  timeout?: string;
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  accessFrom?: AccessFrom;
  suspend?: boolean;
  /** CRD default `["^.*\\.sig$"]`; a non-empty list replaces the default. */
  exclusionList?: string[];
  /** `generic` (default) | `aws` | `azure` | `gcp`. */
  provider?: "generic" | "aws" | "azure" | "gcp";
  insecure?: boolean;
}

export interface ScanResult {
  revision?: string;
  tagCount: number;
  scanTime?: string;
  latestTags?: string[];
}

export interface ImageRepositoryStatus extends CommonStatus {
  canonicalImageName?: string;
  lastScanResult?: ScanResult;
  observedExclusionList?: string[];
}

// ---------------------------------------------------------------- ImagePolicy

export type Order = "asc" | "desc";

export interface SemVerPolicy {
  range: string;
}
export interface AlphabeticalPolicy {
  order?: Order;
}
export interface NumericalPolicy {
  order?: Order;
}

export interface ImagePolicyChoice {
  semver?: SemVerPolicy;
  alphabetical?: AlphabeticalPolicy;
  numerical?: NumericalPolicy;
}

export interface TagFilter {
  pattern?: string;
  extract?: string;
}

export type DigestReflectionPolicy = "Always" | "IfNotPresent" | "Never";

export interface ImagePolicySpec {
  imageRepositoryRef: NamespacedObjectReference;
  policy: ImagePolicyChoice;
  filterTags?: TagFilter;
  digestReflectionPolicy?: DigestReflectionPolicy;
  interval?: string;
  suspend?: boolean;
}

export interface ImageRef {
  name: string;
  tag: string;
  digest?: string;
}

export interface ImagePolicyStatus extends CommonStatus {
  latestRef?: ImageRef;
  observedPreviousRef?: ImageRef;
}

// ---------------------------------------------------------------- GitRepository

export interface GitRepositoryRef {
  branch?: string;
  tag?: string;
  semver?: string;
  name?: string;
  commit?: string;
}

export interface GitRepositoryVerification {
  /** `HEAD` (default) | `Tag` | `TagAndHEAD`. */
  mode?: "HEAD" | "Tag" | "TagAndHEAD";
  secretRef: LocalObjectReference;
}

export interface GitRepositoryInclude {
  repository: LocalObjectReference;
  fromPath?: string;
  toPath?: string;
}

export interface GitRepositorySpec {
  url: string;
  interval: string;
  /** CRD default `60s`. */
  timeout?: string;
  /** Default `{branch: master}` when no ref is given. */
  ref?: GitRepositoryRef;
  secretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  /** `generic` (default) | `azure` | `github`. */
  provider?: string;
  suspend?: boolean;
  // Accepted so that existing source-controller manifests read and export unchanged; not acted on.
  serviceAccountName?: string;
  verify?: GitRepositoryVerification;
  ignore?: string;
  recurseSubmodules?: boolean;
  include?: GitRepositoryInclude[];
  sparseCheckout?: string[];
}

export interface GitRepositoryStatus extends CommonStatus {
  artifact?: { revision: string; lastUpdateTime?: string };
}

// ---------------------------------------------------------------- ImageUpdateAutomation

export interface CrossNamespaceSourceReference {
  apiVersion?: string;
  kind: "GitRepository" | string;
  name: string;
  namespace?: string;
}

export interface CommitUser {
  name?: string;
  email: string;
}

export interface SigningKey {
  secretRef: LocalObjectReference;
  /** `gpg` (default) | `ssh`. */
  type?: "gpg" | "ssh";
}

export interface CommitSpec {
  author: CommitUser;
  signingKey?: SigningKey;
  messageTemplate?: string;
  messageTemplateValues?: Record<string, string>;
}

export interface PushSpec {
  branch?: string;
  refspec?: string;
  options?: Record<string, string>;
}

export interface GitSpec {
  checkout?: { ref: GitRepositoryRef };
  commit: CommitSpec;
  push?: PushSpec;
}

export interface UpdateStrategy {
  strategy: "Setters" | string;
  path?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ImageUpdateAutomationSpec {
  sourceRef: CrossNamespaceSourceReference;
  git?: GitSpec;
  interval: string;
  update?: UpdateStrategy;
  policySelector?: LabelSelector;
  suspend?: boolean;
}

/** imagectl: a marker left as a person set it, because they rolled back what the automation wrote. */
export interface RollbackPin {
  /** Path relative to `update.path`, as in commit templates. */
  file: string;
  /** The marker's setter, e.g. `flux-system:app` or `flux-system:app:tag`. */
  setter: string;
  /** The value on the branch, kept. */
  kept: string;
  /** The value the automation wrote and will not write again until the policy moves past it. */
  reverted: string;
  /** When the rollback was first seen, and the checkout head it was seen at. */
  since: string;
  seenAt: string;
}

export interface ImageUpdateAutomationStatus extends CommonStatus {
  lastAutomationRunTime?: string;
  lastPushCommit?: string;
  lastPushTime?: string;
  observedPolicies?: Record<string, ImageRef>;
  observedSourceRevision?: string;
  /** imagectl: markers pinned after a rollback (docs/write-back.md). */
  rollbackPins?: RollbackPin[];
  /** imagectl: the `imagectl.io/unpin-requested-at` value last acted on. */
  lastHandledUnpinAt?: string;
  /** imagectl: the open pull/merge requests of the `imagectl.io/pull-request` annotation. */
  pullRequests?: { branch: string; number: number; url: string }[];
}

// ---------------------------------------------------------------- objects

export interface TypedObject<K extends Kind, S, St> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: St;
}

export type ImageRepository = TypedObject<"ImageRepository", ImageRepositorySpec, ImageRepositoryStatus>;
export type ImagePolicy = TypedObject<"ImagePolicy", ImagePolicySpec, ImagePolicyStatus>;
export type ImageUpdateAutomation = TypedObject<
  "ImageUpdateAutomation",
  ImageUpdateAutomationSpec,
  ImageUpdateAutomationStatus
>;
export type GitRepository = TypedObject<"GitRepository", GitRepositorySpec, GitRepositoryStatus>;

export type Receiver = TypedObject<"Receiver", ReceiverSpec, ReceiverStatus>;
export type Provider = TypedObject<"Provider", ProviderSpec, ProviderStatus>;
export type Alert = TypedObject<"Alert", AlertSpec, AlertStatus>;

export type AnyObject =
  | ImageRepository
  | ImagePolicy
  | ImageUpdateAutomation
  | GitRepository
  | Receiver
  | Provider
  | Alert;

export type ObjectOfKind<K extends Kind> = Extract<AnyObject, { kind: K }>;
