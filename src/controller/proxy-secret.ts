import type { GitRepository, ImageRepository } from "../api/types.js";
import { ProxyConfigError, parseProxyUrl } from "../registry/index.js";
import type { Store } from "../store/index.js";

/** A `spec.proxySecretRef` names a missing secret, or one without a usable `address`. */
export class ProxySecretError extends Error {
  override name = "ProxySecretError";
}

/**
 * The proxy of an object's `spec.proxySecretRef`, read as Flux reads it: `address` (required),
 * `username` and `password` (optional, sent as Basic `Proxy-Authorization`). The credentials are
 * put into the URL's userinfo, where the registry client and git both take them from; messages
 * name the object, the secret and the field, never a value.
 */
export async function proxyFromSecretRef(
  store: Pick<Store, "getSecret">,
  obj: ImageRepository | GitRepository,
): Promise<URL | undefined> {
  const ref = obj.spec.proxySecretRef?.name;
  if (!ref) return undefined;
  const ns = obj.metadata.namespace;
  const where = `${obj.kind} '${ns}/${obj.metadata.name}': proxy secret '${ns}/${ref}'`;
  const secret = await store.getSecret(ns, ref);
  if (!secret) throw new ProxySecretError(`${where} not found (spec.proxySecretRef)`);
  const { address, username, password } = secret.data;
  let url: URL | undefined;
  try {
    url = parseProxyUrl(`${where} field 'address'`, address);
  } catch (err) {
    if (err instanceof ProxyConfigError) throw new ProxySecretError(`${err.message} (spec.proxySecretRef)`);
    throw err;
  }
  if (!url) throw new ProxySecretError(`${where} has no field 'address' (spec.proxySecretRef)`);
  if (username !== undefined || password !== undefined) {
    url.username = encodeURIComponent(username ?? "");
    url.password = encodeURIComponent(password ?? "");
  }
  return url;
}
