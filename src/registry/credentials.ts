import {
  credentialsFromDockerConfig,
  type DockerConfigJson,
  defaultDockerConfigDir,
  loadDockerConfig,
  lookupAuths,
  type RegistryCredentials,
} from "./docker-config.js";
import type { ScanOptions } from "./options.js";
import type { ImageReference } from "./reference.js";

function isDockerConfig(c: RegistryCredentials | DockerConfigJson): c is DockerConfigJson {
  return "auths" in c || "credHelpers" in c || "credsStore" in c;
}

/**
 * Credentials in Flux's order, extended: the object's secret, then the user's Docker config
 * (including credential helpers, which no peer tool reads), else anonymous (undefined).
 * Helpers named inside a secret are ignored on purpose: a secret must not choose a program to run.
 */
export async function resolveCredentials(
  ref: ImageReference,
  opts: ScanOptions,
): Promise<RegistryCredentials | undefined> {
  const image = ref.original;
  if (opts.credentials) {
    if (!isDockerConfig(opts.credentials)) return opts.credentials;
    const fromSecret = lookupAuths(opts.credentials, ref.registry, image, "secretRef");
    if (fromSecret) return fromSecret;
  }
  if (opts.dockerConfigDir === false) return undefined;
  const env = opts.env ?? process.env;
  const dir = opts.dockerConfigDir ?? defaultDockerConfigDir(env);
  const config = await loadDockerConfig(dir, image);
  if (!config) return undefined;
  return credentialsFromDockerConfig(config, ref.registry, image, {
    helperTimeoutMs: opts.credentialHelperTimeoutMs,
    env: opts.env,
    source: `${dir}/config.json`,
  });
}
