import { isDigest } from "./digest.js";
import { registryErrorSummary } from "./error-summary.js";
import type { ScanOptions } from "./options.js";
import type { ImageReference } from "./reference.js";
import { RegistrySession } from "./session.js";
import type { RegistryResponse } from "./transport.js";

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

/** The `Docker-Content-Digest` header, checked: it becomes the policy's status as is. */
function headerDigest(session: RegistrySession, res: RegistryResponse): string | undefined {
  const digest = res.headers["docker-content-digest"];
  if (digest === undefined || digest === "") return undefined;
  if (!isDigest(digest)) {
    throw session.fail(
      "bad-response",
      `Docker-Content-Digest header from ${new URL(res.url).host} is not a digest (algorithm:hex)`,
    );
  }
  return digest;
}

/** The manifest digest (`sha256:…`) of `ref:tag`, as Flux's `digestReflectionPolicy` records it. */
export async function fetchDigest(ref: ImageReference, tag: string, opts: ScanOptions = {}): Promise<string> {
  const session = new RegistrySession(ref, opts);
  if (!TAG.test(tag)) throw session.fail("invalid-reference", `"${tag}" is not a valid tag`);
  const path = `/v2/${ref.repository}/manifests/${tag}`;
  const first = await session.sendFirst("HEAD", path, MANIFEST_ACCEPT);
  const url = `${first.base}${path}`;
  let res = first.res;
  if (res.status === 200) {
    const digest = headerDigest(session, res);
    if (digest) return digest;
    // Some registries omit the header on HEAD: fetch the manifest and hash it ourselves.
    res = await session.send("GET", url, MANIFEST_ACCEPT);
    if (res.status === 200) {
      const problem = (await import("./response-checks.js")).manifestProblem(res.body);
      if (problem) {
        throw session.fail("bad-response", `manifest of tag "${tag}" from ${new URL(url).host} ${problem}`);
      }
      const { createHash } = await import("node:crypto");
      return headerDigest(session, res) ?? `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
    }
  }
  const summary = await registryErrorSummary(res.body);
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
