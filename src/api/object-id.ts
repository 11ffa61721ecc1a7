/**
 * Object identities: `Kind/namespace/name` keys for stores and messages, and `namespace:name`
 * references as written in setter markers and `--image-ref`-style flags.
 */
import { quote } from "./input-limits.js";
import { DEFAULT_NAMESPACE, KINDS, type Kind } from "./types.js";

/** The one identity of an object everywhere (store rows, scheduler keys, events, messages). */
export interface ObjectId<K extends Kind = Kind> {
  kind: K;
  namespace: string;
  name: string;
}

export interface NamespacedName {
  namespace: string;
  name: string;
}

export class ObjectReferenceError extends Error {
  override name = "ObjectReferenceError";
}

/** `ImagePolicy/flux-system/vote` for an object or an id. */
export function objectKey(
  obj: ObjectId | { kind: Kind; metadata: { name: string; namespace?: string } },
): string {
  if ("metadata" in obj) {
    return `${obj.kind}/${obj.metadata.namespace || DEFAULT_NAMESPACE}/${obj.metadata.name}`;
  }
  return `${obj.kind}/${obj.namespace}/${obj.name}`;
}

export function objectIdOf<K extends Kind>(obj: {
  kind: K;
  metadata: { name: string; namespace?: string };
}): ObjectId<K> {
  return { kind: obj.kind, namespace: obj.metadata.namespace || DEFAULT_NAMESPACE, name: obj.metadata.name };
}

export function isKind(s: unknown): s is Kind {
  return typeof s === "string" && (KINDS as readonly string[]).includes(s);
}

/** Parses `Kind/namespace/name` (the inverse of objectKey). */
export function parseObjectKey(key: string): ObjectId {
  const parts = key.split("/");
  const [kind, namespace, name] = parts;
  if (parts.length !== 3 || !isKind(kind) || !namespace || !name) {
    throw new ObjectReferenceError(
      `invalid object key ${quote(key)}: expected Kind/namespace/name with Kind one of ${KINDS.join(", ")}`,
    );
  }
  return { kind, namespace, name };
}

/**
 * Parses `namespace:name` or a bare `name` (which takes `defaultNamespace`), the form Flux uses in
 * `{"$imagepolicy": "flux-system:vote"}` markers.
 */
export function parseNamespacedName(
  ref: string,
  defaultNamespace: string = DEFAULT_NAMESPACE,
): NamespacedName {
  const parts = ref.split(":");
  if (parts.length === 1 && parts[0]) return { namespace: defaultNamespace, name: parts[0] };
  const [namespace, name] = parts;
  if (parts.length === 2 && namespace && name) return { namespace, name };
  throw new ObjectReferenceError(`invalid reference ${quote(ref)}: expected namespace:name or name`);
}

export function formatNamespacedName(ref: NamespacedName): string {
  return `${ref.namespace}:${ref.name}`;
}

/** `namespace/name`, as Flux prints NamespacedName (e.g. `.AutomationObject` in templates). */
export function namespacedNameString(ref: NamespacedName): string {
  return `${ref.namespace}/${ref.name}`;
}
