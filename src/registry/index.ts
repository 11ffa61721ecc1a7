export type { RetryPolicy } from "./backoff.js";
export { DEFAULT_RETRY_POLICY } from "./backoff.js";
export { checkAccess } from "./check-access.js";
export {
  CloudAuthError,
  CloudHostMismatchError,
  type CloudProvider,
  cloudCredentials,
  forgetCloudCredentials,
} from "./cloud/index.js";
export { CREATED_ANNOTATION, type CreatedFact, readCreated } from "./config-blob.js";
export { type ContentDescriptor, type ContentManifest, ContentReader } from "./content-reader.js";
export type { TlsOptions } from "./dispatcher.js";
export type { DockerAuthEntry, DockerConfigJson, RegistryCredentials } from "./docker-config.js";
export { normaliseRegistryKey, parseDockerConfig } from "./docker-config.js";
export {
  CredentialsError,
  InvalidImageReferenceError,
  RegistryError,
  type RegistryErrorKind,
} from "./errors.js";
export { fetchDigest, MANIFEST_ACCEPT } from "./fetch-digest.js";
export { type ListTagsResult, listTags } from "./list-tags.js";
export { DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT_MS, type ScanOptions } from "./options.js";
export { ProxyConfigError, parseProxyUrl } from "./proxy-env.js";
export { type ImageReference, isLoopbackRegistry, parseImageReference } from "./reference.js";
export {
  COSIGN_SIG_ARTIFACT_TYPE,
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  checkSimpleSigning,
  cosignSignatureTag,
  keysFingerprint,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type SignatureVerdict,
  verifyCosign,
} from "./signatures.js";
export { TokenCache } from "./token-cache.js";
