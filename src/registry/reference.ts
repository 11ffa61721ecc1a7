import { isIP } from "node:net";
import { InvalidImageReferenceError } from "./errors.js";

/** A repository (no tag, no digest) on a registry, canonicalised like go-containerregistry. */
export interface ImageReference {
  /** Registry as go-containerregistry names it: `index.docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Host[:port] that serves the v2 API (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** Path inside the registry: `library/alpine`, `org/app`. */
  repository: string;
  /** `registry/repository`, Flux's `status.canonicalImageName`. */
  canonicalName: string;
  scheme: "http" | "https";
  /** The image string as given, for messages. */
  original: string;
}

export const DOCKER_HUB_REGISTRY = "index.docker.io";
const DOCKER_HUB_API_HOST = "registry-1.docker.io";

// Distribution's grammar: lowercase path components separated by '/', each component
// alphanumerics joined by '.', '_', '__' or runs of '-'.
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::[0-9]+)?$/;

function looksLikeRegistry(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost";
}

/** Hostname without port and brackets. */
function hostnameOf(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  const colon = registry.lastIndexOf(":");
  return colon === -1 ? registry : registry.slice(0, colon);
}

/** Docker and go-containerregistry talk plain HTTP to loopback registries without being told. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostnameOf(registry).toLowerCase();
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/**
 * Parses an ImageRepository `image`: `nginx`, `org/app`, `host[:port]/path`. A scheme, tag or
 * digest is an error (Flux rejects them so that the canonical name is unambiguous).
 */
export function parseImageReference(image: string, opts: { insecure?: boolean } = {}): ImageReference {
  const schemeParts = image.split("://");
  if (schemeParts.length > 1) {
    throw new InvalidImageReferenceError(
      image,
      `should not include URL scheme; remove '${schemeParts[0]}://'`,
    );
  }
  if (image.trim() === "") throw new InvalidImageReferenceError(image, "must not be empty");
  const at = image.indexOf("@");
  if (at !== -1) {
    throw new InvalidImageReferenceError(image, `should not include a digest; remove '${image.slice(at)}'`);
  }
  const slash = image.indexOf("/");
  const first = slash === -1 ? "" : image.slice(0, slash);
  let registry: string;
  let path: string;
  if (slash !== -1 && looksLikeRegistry(first)) {
    registry = first;
    path = image.slice(slash + 1);
  } else {
    registry = DOCKER_HUB_REGISTRY;
    path = image;
  }
  const tagColon = path.indexOf(":");
  if (tagColon !== -1) {
    throw new InvalidImageReferenceError(image, `should not include a tag; remove '${path.slice(tagColon)}'`);
  }
  if (!HOST.test(registry)) {
    throw new InvalidImageReferenceError(image, `registry "${registry}" is not a valid host[:port]`);
  }
  if (registry === "docker.io") registry = DOCKER_HUB_REGISTRY;
  if (registry === DOCKER_HUB_REGISTRY && !path.includes("/")) path = `library/${path}`;
  if (path.length > 255)
    throw new InvalidImageReferenceError(image, "repository name is longer than 255 characters");
  for (const component of path.split("/")) {
    if (!COMPONENT.test(component)) {
      throw new InvalidImageReferenceError(
        image,
        `repository "${path}" must be lowercase letters, digits and separators (. _ __ -) between '/'`,
      );
    }
  }
  const apiHost = registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
  const scheme = opts.insecure || isLoopbackRegistry(registry) ? "http" : "https";
  return {
    registry,
    apiHost,
    repository: path,
    canonicalName: `${registry}/${path}`,
    scheme,
    original: image,
  };
}

/** Base URL of the v2 API, e.g. `https://registry-1.docker.io`. */
export function registryBaseUrl(ref: ImageReference): string {
  return `${ref.scheme}://${ref.apiHost}`;
}
