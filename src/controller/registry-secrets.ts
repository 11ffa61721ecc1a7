import type { ImageRepository } from "../api/types.js";
import { parseDockerConfig, type ScanOptions } from "../registry/index.js";
import type { ControllerDeps } from "./controller-deps.js";
import { proxyFromSecretRef } from "./proxy-secret.js";

/** A secretRef names a secret the store does not have. */
export class SecretMissingError extends Error {
  override name = "SecretMissingError";
}

/** Docker config JSON as kept in a docker-registry secret (`.dockerconfigjson`). */
export const DOCKER_CONFIG_KEY = ".dockerconfigjson";

/**
 * Resolves an ImageRepository's secretRef / certSecretRef / proxySecretRef into registry client options.
 * The secrets stay in memory only for the scan; nothing here is logged.
 */
export async function registryOptionsFor(
  deps: ControllerDeps,
  obj: ImageRepository,
): Promise<Pick<ScanOptions, "insecure" | "credentials" | "tls" | "proxy">> {
  const ns = obj.metadata.namespace;
  const out: Pick<ScanOptions, "insecure" | "credentials" | "tls" | "proxy"> = {
    insecure: obj.spec.insecure,
  };
  if (obj.spec.secretRef?.name) {
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
  return out;
}
