import type { ScanOptions } from "./options.js";
import type { ImageReference } from "./reference.js";
import { RegistrySession, registryErrorSummary } from "./session.js";

/**
 * All four manifest types: without the OCI ones distribution answers 404 for OCI content, and
 * without the Docker list type it silently resolves a list to its amd64 child.
 */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const TAG = /^[\w][\w.-]{0,127}$/;

/** The manifest digest (`sha256:…`) of `ref:tag`, as Flux's `digestReflectionPolicy` records it. */
export async function fetchDigest(ref: ImageReference, tag: string, opts: ScanOptions = {}): Promise<string> {
  const session = new RegistrySession(ref, opts);
  if (!TAG.test(tag)) throw session.fail("invalid-reference", `"${tag}" is not a valid tag`);
  const path = `/v2/${ref.repository}/manifests/${tag}`;
  const first = await session.sendFirst("HEAD", path, MANIFEST_ACCEPT);
  const url = `${first.base}${path}`;
  let res = first.res;
  if (res.status === 200) {
    const digest = res.headers["docker-content-digest"];
    if (digest) return digest;
    // Some registries omit the header on HEAD: fetch the manifest and hash it ourselves.
    res = await session.send("GET", url, MANIFEST_ACCEPT);
    if (res.status === 200) {
      const { createHash } = await import("node:crypto");
      return (
        res.headers["docker-content-digest"] ??
        `sha256:${createHash("sha256").update(res.body).digest("hex")}`
      );
    }
  }
  const summary = registryErrorSummary(res.body);
  if (res.status === 404) {
    throw session.fail("not-found", `manifest for tag "${tag}" not found${summary ? ` (${summary})` : ""}`, {
      status: 404,
    });
  }
  if (res.status === 429)
    throw session.fail("rate-limited", "rate limited by the registry (HTTP 429)", { status: 429 });
  throw session.fail("bad-response", `unexpected HTTP ${res.status} for manifest of tag "${tag}"`, {
    status: res.status,
  });
}
