/**
 * Registry credentials for `spec.provider: aws | azure | gcp`: the image's host is checked
 * against the provider (hosts.ts), then the cloud's SDK mints a username and password, kept in
 * memory until shortly before they expire (cache.ts). Each cloud's module, and with it its SDK
 * (megabytes of code), is imported only when a repository first names that provider.
 */
import type { TlsOptions } from "../dispatcher.js";
import type { RegistryCredentials } from "../docker-config.js";
import { CloudCredentialCache, type CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";
import { CloudAuthError, describeCloudError } from "./errors.js";
import { type CloudProvider, type CloudRegistry, cloudRegistryFor } from "./hosts.js";

export { CloudCredentialCache, type CloudCredentials } from "./cache.js";
export { CloudAuthError } from "./errors.js";
export { CloudHostMismatchError, type CloudProvider, cloudRegistryFor } from "./hosts.js";

export interface CloudCredentialsRequest {
  provider: CloudProvider;
  /** The image's registry host (`ImageReference.registry`). */
  registry: string;
  /** `spec.image`, for messages. */
  image: string;
  signal: AbortSignal;
  proxy?: URL;
  tls?: TlsOptions;
  env?: NodeJS.ProcessEnv;
  /** Default: the process-wide cache. */
  cache?: CloudCredentialCache;
}

const processCache = new CloudCredentialCache();

/** The exchange a failure message names. */
function exchangeOf(reg: CloudRegistry): string {
  switch (reg.provider) {
    case "aws":
      return reg.api === "ecr-public" ? "ECR Public GetAuthorizationToken" : "ECR GetAuthorizationToken";
    case "gcp":
      return "Google access token";
    case "azure":
      return "ACR refresh-token exchange";
  }
}

/**
 * Username and password for the image's cloud registry. Throws CloudHostMismatchError when the
 * image is not on one, CloudAuthError (a CredentialsError: kind "auth") when the cloud refuses
 * or does not answer within the signal; neither message carries a token.
 */
export async function cloudCredentials(req: CloudCredentialsRequest): Promise<RegistryCredentials> {
  const reg = cloudRegistryFor(req.provider, req.registry, req.image);
  const ctx: MintContext = {
    signal: req.signal,
    env: req.env ?? process.env,
    ...(req.proxy ? { proxy: req.proxy } : {}),
    ...(req.tls ? { tls: req.tls } : {}),
  };
  const cache = req.cache ?? processCache;
  let creds: CloudCredentials;
  try {
    creds = await cache.get(cacheKey(reg.provider, reg.registry), () => mint(reg, ctx));
  } catch (err) {
    // No `cause`: an SDK error may hold the request, headers included.
    throw new CloudAuthError(
      req.image,
      `spec.provider '${req.provider}': ${exchangeOf(reg)} for '${reg.registry}' failed: ${describeCloudError(err)}`,
    );
  }
  return { username: creds.username, password: creds.password };
}

/** Drops the cached credentials of the image's registry (the registry refused them). */
export function forgetCloudCredentials(
  provider: CloudProvider,
  registry: string,
  cache = processCache,
): void {
  cache.forget(cacheKey(provider, registry));
}

/** One cache entry per provider and registry host (hosts are case-insensitive). */
function cacheKey(provider: CloudProvider, registry: string): string {
  return `${provider}/${registry.toLowerCase()}`;
}

async function mint(reg: CloudRegistry, ctx: MintContext): Promise<CloudCredentials> {
  switch (reg.provider) {
    case "aws":
      // Each AWS API has its own SDK; a repository loads only the one its host needs.
      if (reg.api === "ecr-public")
        return (await import("./ecr-public.js")).mintEcrPublicCredentials(reg, ctx);
      return (await import("./aws.js")).mintEcrCredentials(reg, ctx);
    case "gcp":
      return (await import("./gcp.js")).mintGoogleCredentials(ctx);
    case "azure":
      return (await import("./azure.js")).mintAcrCredentials(reg, ctx);
  }
}
