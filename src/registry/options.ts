import type { RetryPolicy } from "./backoff.js";
import type { TlsOptions } from "./dispatcher.js";
import type { DockerConfigJson, RegistryCredentials } from "./docker-config.js";
import type { TokenCache } from "./token-cache.js";

/** Everything a scan needs besides the image; the controller resolves secret names into these values. */
export interface ScanOptions {
  /** Allow plain HTTP to a non-loopback registry (already reflected in `ref.scheme`); also allows an http token realm. */
  insecure?: boolean;
  /** From `secretRef`: explicit credentials, or a `.dockerconfigjson` blob (only its `auths` are used). */
  credentials?: RegistryCredentials | DockerConfigJson;
  /** Directory of the user's `config.json`; default `$DOCKER_CONFIG` or `~/.docker`; `false` skips it. */
  dockerConfigDir?: string | false;
  /** From `certSecretRef`. */
  tls?: TlsOptions;
  /** Overall deadline for the whole operation (Flux `spec.timeout`). Default 60 s. */
  timeoutMs?: number;
  /** `n` for tags/list. Default 1000 (ECR's maximum). */
  pageSize?: number;
  signal?: AbortSignal;
  userAgent?: string;
  /** Overrides for retries/backoff (tests use tiny delays). */
  retry?: Partial<RetryPolicy>;
  /** Concurrent requests per registry host. Default 4. */
  maxConcurrentPerHost?: number;
  /** Timeout for one `docker-credential-*` call. Default 10 s. */
  credentialHelperTimeoutMs?: number;
  /**
   * From `proxySecretRef`: every request (registry and token service) goes through this proxy, as
   * in Flux, whatever HTTPS_PROXY / HTTP_PROXY / NO_PROXY say; userinfo becomes Proxy-Authorization.
   */
  proxy?: URL;
  /** Environment for proxies, `DOCKER_CONFIG`, `NODE_EXTRA_CA_CERTS`, helper PATH. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Token cache; default the process-wide one. */
  tokenCache?: TokenCache;
}

export const DEFAULT_PAGE_SIZE = 1000;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_USER_AGENT = "imagectl";
