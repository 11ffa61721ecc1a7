import { repositoryTimeoutMs } from "../api/defaults.js";
import type { ImageRepository } from "../api/types.js";
import {
  cloudCredentials,
  parseDockerConfig,
  parseImageReference,
  type ScanOptions,
} from "../registry/index.js";
import type { ControllerDeps } from "./controller-deps.js";
import { proxyFromSecretRef } from "./proxy-secret.js";

/** A secretRef names a secret the store does not have. */
export class SecretMissingError extends Error {
  override name = "SecretMissingError";
}

/** Docker config JSON as kept in a docker-registry secret (`.dockerconfigjson`). */
export const DOCKER_CONFIG_KEY = ".dockerconfigjson";

/**
 * Resolves an ImageRepository's secretRef / certSecretRef / proxySecretRef into registry client
 * options, and for `spec.provider: aws | azure | gcp` the credentials the cloud mints (then, as
 * in Flux, secretRef is not read). The exchange is bounded by `signal` (default: the
 * repository's timeout, which covers it in Flux too). The secrets stay in memory only for the
 * scan (cloud credentials in the cache of src/registry/cloud until they expire); nothing here is
 * logged.
 */
export async function registryOptionsFor(
  deps: ControllerDeps,
  obj: ImageRepository,
  opts: { signal?: AbortSignal } = {},
): Promise<Pick<ScanOptions, "insecure" | "credentials" | "tls" | "proxy">> {
  const ns = obj.metadata.namespace;
  const out: Pick<ScanOptions, "insecure" | "credentials" | "tls" | "proxy"> = {
    insecure: obj.spec.insecure,
  };
  const provider = obj.spec.provider ?? "generic";
  if (provider === "generic" && obj.spec.secretRef?.name) {
    const secret = await deps.store.getSecret(ns, obj.spec.secretRef.name);
    if (!secret)
      throw new SecretMissingError(`secret '${ns}/${obj.spec.secretRef.name}' not found (spec.secretRef)`);
    const json = secret.data[DOCKER_CONFIG_KEY];
    const source = `secret '${ns}/${obj.spec.secretRef.name}' key ${DOCKER_CONFIG_KEY} (spec.secretRef)`;
    if (json) out.credentials = await parseDockerConfig(json, source, obj.spec.image);
    else if (secret.data.username !== undefined && secret.data.password !== undefined)
      out.credentials = { username: secret.data.username, password: secret.data.password };
    else
      throw new SecretMissingError(
        `secret '${ns}/${obj.spec.secretRef.name}' has neither ${DOCKER_CONFIG_KEY} nor username/password (spec.secretRef)`,
      );
  }
  if (obj.spec.certSecretRef?.name) {
    const secret = await deps.store.getSecret(ns, obj.spec.certSecretRef.name);
    if (!secret)
      throw new SecretMissingError(
        `secret '${ns}/${obj.spec.certSecretRef.name}' not found (spec.certSecretRef)`,
      );
    const d = secret.data;
    out.tls = {
      ca: d["ca.crt"] ?? d.caFile,
      cert: d["tls.crt"] ?? d.certFile,
      key: d["tls.key"] ?? d.keyFile,
    };
  }
  const proxy = await proxyFromSecretRef(deps.store, obj);
  if (proxy) out.proxy = proxy;
  if (provider !== "generic") {
    const ref = parseImageReference(obj.spec.image, { insecure: obj.spec.insecure });
    out.credentials = await cloudCredentials({
      provider,
      registry: ref.registry,
      image: obj.spec.image,
      signal: opts.signal ?? AbortSignal.timeout(repositoryTimeoutMs(obj)),
      ...(out.proxy ? { proxy: out.proxy } : {}),
      ...(out.tls ? { tls: out.tls } : {}),
    });
  }
  return out;
}
