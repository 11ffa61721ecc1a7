/**
 * Reads image content for fact-based selection (docs/selection.md): tag → digest, manifests and
 * blobs by digest (each checked against its digest), tags that may be missing (cosign's
 * `sha256-<hex>.sig`) and the OCI Referrers API. One reader is one RegistrySession: one deadline,
 * one set of credentials, every request through auth → per-host limit → retry with backoff.
 */
import { createHash } from "node:crypto";
import * as z from "zod/mini";
import { checkJson } from "./checked-json.js";
import { isDigest } from "./digest.js";
import { registryErrorSummary } from "./error-summary.js";
import { MANIFEST_ACCEPT } from "./fetch-digest.js";
import type { ScanOptions } from "./options.js";
import type { ImageReference } from "./reference.js";
import { RegistrySession } from "./session.js";
import type { RegistryResponse } from "./transport.js";

/** Manifests are small; a config blob or signature layer larger than this is refused unread. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_BLOB_BYTES = 4 * 1024 * 1024;

const Descriptor = z.object({
  mediaType: z.string(),
  digest: z.string().check(z.refine(isDigest, "expected a digest")),
  size: z.int().check(z.nonnegative()),
  annotations: z.optional(z.record(z.string(), z.string())),
  artifactType: z.optional(z.string()),
  platform: z.optional(z.object({ os: z.optional(z.string()), architecture: z.optional(z.string()) })),
});
export type ContentDescriptor = z.infer<typeof Descriptor>;

const Manifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: z.optional(Descriptor),
  layers: z.optional(z.array(Descriptor)),
  manifests: z.optional(z.array(Descriptor)),
  subject: z.optional(Descriptor),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type ContentManifest = z.infer<typeof Manifest>;

const TAG = /^[\w][\w.-]{0,127}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

export class ContentReader {
  readonly #session: RegistrySession;
  #base: Promise<string> | undefined;

  constructor(ref: ImageReference, opts: ScanOptions = {}) {
    this.#session = new RegistrySession(ref, opts);
  }

  /** Requests sent so far (auth, probes and retries included). */
  get requests(): number {
    return this.#session.requests;
  }

  /** The first request settles the API base (scheme probe); the others wait for it. */
  async #send(method: "GET" | "HEAD", path: string, accept?: string): Promise<RegistryResponse> {
    if (this.#base === undefined) {
      const first = this.#session.sendFirst(method, path, accept);
      this.#base = first.then((f) => f.base);
      return (await first).res;
    }
    const base = await this.#base;
    return this.#session.send(method, `${base}${path}`, accept);
  }

  #repo(): string {
    return this.#session.ref.repository;
  }

  async #failFor(res: RegistryResponse, what: string): Promise<never> {
    const summary = await registryErrorSummary(res.body);
    const tail = summary ? ` (${summary})` : "";
    if (res.status === 404)
      throw this.#session.fail("not-found", `${what} not found${tail}`, { status: 404 });
    if (res.status === 429)
      throw this.#session.fail("rate-limited", "rate limited by the registry (HTTP 429)", { status: 429 });
    if (res.status === 401 || res.status === 403)
      throw this.#session.fail("auth", `access to ${what} denied (HTTP ${res.status})${tail}`, {
        status: res.status,
      });
    throw this.#session.fail("bad-response", `unexpected HTTP ${res.status} for ${what}${tail}`, {
      status: res.status,
    });
  }

  /** The digest `tag` points at now, or undefined when the tag does not exist. */
  async tagDigest(tag: string): Promise<string | undefined> {
    if (!TAG.test(tag)) throw this.#session.fail("invalid-reference", `"${tag}" is not a valid tag`);
    const path = `/v2/${this.#repo()}/manifests/${tag}`;
    const res = await this.#send("HEAD", path, MANIFEST_ACCEPT);
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.#failFor(res, `manifest of tag "${tag}"`);
    const header = res.headers["docker-content-digest"];
    if (header && isDigest(header)) return header;
    // Some registries omit the header on HEAD: fetch the manifest and hash it ourselves.
    const got = await this.#send("GET", path, MANIFEST_ACCEPT);
    if (got.status !== 200) return this.#failFor(got, `manifest of tag "${tag}"`);
    return `sha256:${createHash("sha256").update(got.body).digest("hex")}`;
  }

  /**
   * The bytes of the manifest or index `digest`, checked against the digest (a Sigstore message
   * signature signs these bytes).
   */
  async manifestBytes(digest: string): Promise<Buffer> {
    const what = `manifest ${digest}`;
    const res = await this.#send("GET", `/v2/${this.#repo()}/manifests/${digest}`, MANIFEST_ACCEPT);
    if (res.status !== 200) return this.#failFor(res, what);
    this.#checkDigest(res.body, digest, what, MAX_MANIFEST_BYTES);
    return res.body;
  }

  /** The manifest or index `digest`, its bytes checked against the digest. */
  async manifest(digest: string): Promise<ContentManifest> {
    const what = `manifest ${digest}`;
    const body = await this.manifestBytes(digest);
    const checked = checkJson(Manifest, body.toString("utf8"));
    if (!checked.ok) throw this.#session.fail("bad-response", `${what} ${checked.problem}`);
    return checked.value;
  }

  /** The blob `digest`, checked against it. */
  async blob(digest: string, maxBytes = MAX_BLOB_BYTES): Promise<Buffer> {
    const what = `blob ${digest}`;
    const res = await this.#send("GET", `/v2/${this.#repo()}/blobs/${digest}`);
    if (res.status !== 200) return this.#failFor(res, what);
    this.#checkDigest(res.body, digest, what, maxBytes);
    return res.body;
  }

  /**
   * Referrers of `digest` (OCI distribution 1.1), or undefined when the registry does not serve
   * the API (404), so that the caller falls back to the tag schema.
   */
  async referrers(digest: string, artifactType?: string): Promise<ContentDescriptor[] | undefined> {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : "";
    const res = await this.#send(
      "GET",
      `/v2/${this.#repo()}/referrers/${digest}${query}`,
      "application/vnd.oci.image.index.v1+json",
    );
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.#failFor(res, `referrers of ${digest}`);
    const checked = checkJson(Manifest, res.body.toString("utf8"));
    if (!checked.ok) throw this.#session.fail("bad-response", `referrers of ${digest} ${checked.problem}`);
    const all = checked.value.manifests ?? [];
    // A registry may ignore the filter (it says so in OCI-Filters-Applied): filter again.
    return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
  }

  #checkDigest(body: Buffer, digest: string, what: string, maxBytes: number): void {
    if (body.length > maxBytes)
      throw this.#session.fail("bad-response", `${what} is larger than ${maxBytes} bytes`);
    // Only sha256 is checked (the algorithm every registry uses); others are taken as given.
    if (!SHA256.test(digest)) return;
    const actual = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    if (actual !== digest)
      throw this.#session.fail("bad-response", `${what}: content does not match its digest (got ${actual})`);
  }
}
