/**
 * Pushes images with chosen created times, multi-platform indexes and cosign signatures to a
 * test registry (plain HTTP) over the distribution API, for the fact-based selection tests.
 * Signatures are made the way cosign makes them with a key: ECDSA P-256 over SHA-256 of the
 * simple-signing payload, DER, base64 in the `dev.cosignproject.cosign/signature` annotation of
 * a layer of the manifest tagged `sha256-<hex>.sig`.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { REGISTRY_REQUEST } from "../../src/registry/telemetry.js";
import { startRegistry, type TestRegistry } from "./registry.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export interface ContentPusher {
  /** Requests sent to the registry so far by this pusher. */
  readonly requests: number;
  pushImage(repo: string, tag: string | undefined, opts?: ImageOptions): Promise<string>;
  pushIndex(
    repo: string,
    tag: string,
    created: string[],
    opts?: { annotationCreated?: string },
  ): Promise<string>;
  /**
   * Pushes a cosign signature of `digest` by `key`: tagged `sha256-<hex>.sig` (cosign's tag
   * schema), or with `referrer` pushed by digest with `subject` and `artifactType` (OCI 1.1),
   * returning its descriptor for a Referrers API answer.
   */
  sign(repo: string, digest: string, key: KeyObject, opts?: SignOptions): Promise<ReferrerDescriptor>;
  /**
   * As `sign`, with the layer's annotations made by `annotate` over the signed bytes (a keyless
   * signature: certificate, chain, Rekor bundle; test/support/private-sigstore.ts).
   */
  signWith(
    repo: string,
    digest: string,
    annotate: (signed: Buffer) => Record<string, string>,
    opts?: SignOptions,
  ): Promise<ReferrerDescriptor>;
  /**
   * Attaches a Sigstore bundle to `digest` as cosign 3 does (specs/BUNDLE_SPEC.md): the bundle as a
   * blob, a manifest with its artifact type and `subject`, listed in the referrers tag schema's
   * index `sha256-<hex>` (the test registry has no Referrers API) unless `tagSchema` is false
   * (for a front server answering the Referrers API).
   */
  attachBundle(
    repo: string,
    digest: string,
    bundle: unknown,
    opts?: { tagSchema?: boolean },
  ): Promise<ReferrerDescriptor>;
  close(): Promise<void>;
}

export interface ImageOptions {
  /** Config `created` (RFC 3339); omitted when undefined. */
  created?: string;
  /** Manifest annotation org.opencontainers.image.created. */
  annotationCreated?: string;
  /** Makes the content (and so the digest) unique. */
  salt?: string;
  platform?: { os: string; architecture: string };
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType: string;
}

export interface SignOptions {
  /** Push as an OCI 1.1 referrer (by digest, with subject) instead of the `.sig` tag. */
  referrer?: boolean;
  /** The digest the payload names (default: the digest signed). */
  payloadDigest?: string;
  /** Sign other bytes than the payload stored (a tampered payload). */
  tamper?: boolean;
}

export function cosignKeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** cosign's simple-signing payload for `digest` of `reference`. */
export function simpleSigningPayload(reference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": reference },
        image: { "docker-manifest-digest": digest },
        type: "cosign container image signature",
      },
      optional: null,
    }),
  );
}

export function contentPusher(registryUrl: string, host: string): ContentPusher {
  const dispatcher = new Agent({ connections: 16 });
  let requests = 0;
  const call = async (
    method: "GET" | "HEAD" | "POST" | "PUT",
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ) => {
    requests++;
    const res = await request(new URL(path, registryUrl), { method, headers, body, dispatcher });
    const text = method === "HEAD" ? "" : await res.body.text();
    if (method === "HEAD") await res.body.dump();
    return { status: res.statusCode, headers: res.headers, text };
  };
  const pushBlob = async (repo: string, buf: Buffer): Promise<string> => {
    const digest = sha256(buf);
    if ((await call("HEAD", `/v2/${repo}/blobs/${digest}`, {})).status === 200) return digest;
    const post = await call("POST", `/v2/${repo}/blobs/uploads/`, {});
    if (post.status !== 202) throw new Error(`blob upload POST ${post.status}: ${post.text}`);
    const loc = new URL(String(post.headers.location), registryUrl);
    loc.searchParams.set("digest", digest);
    const put = await call(
      "PUT",
      loc.pathname + loc.search,
      { "content-type": "application/octet-stream" },
      buf,
    );
    if (put.status !== 201) throw new Error(`blob PUT ${put.status}: ${put.text}`);
    return digest;
  };
  const putManifest = async (repo: string, ref: string, buf: Buffer, mediaType: string): Promise<string> => {
    const res = await call("PUT", `/v2/${repo}/manifests/${ref}`, { "content-type": mediaType }, buf);
    if (res.status !== 201) throw new Error(`manifest PUT ${repo}:${ref} ${res.status}: ${res.text}`);
    return String(res.headers["docker-content-digest"]);
  };
  const imageManifest = async (repo: string, o: ImageOptions): Promise<Buffer> => {
    const platform = o.platform ?? { os: "linux", architecture: "amd64" };
    const config = Buffer.from(
      JSON.stringify({
        ...(o.created !== undefined ? { created: o.created } : {}),
        ...platform,
        rootfs: { type: "layers", diff_ids: [] },
        config: { Labels: { salt: o.salt ?? "" } },
      }),
    );
    const layer = Buffer.from(`layer ${o.salt ?? ""}`);
    const c = await pushBlob(repo, config);
    const l = await pushBlob(repo, layer);
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: c, size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l, size: layer.length }],
        ...(o.annotationCreated
          ? { annotations: { "org.opencontainers.image.created": o.annotationCreated } }
          : {}),
      }),
    );
  };
  return {
    get requests() {
      return requests;
    },
    async pushImage(repo, tag, opts = {}) {
      const m = await imageManifest(repo, opts);
      return putManifest(repo, tag ?? sha256(m), m, OCI_MANIFEST);
    },
    async pushIndex(repo, tag, created, opts = {}) {
      const platforms = [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
        { os: "linux", architecture: "s390x" },
      ];
      const entries = [];
      for (const [i, c] of created.entries()) {
        const platform = platforms[i] as { os: string; architecture: string };
        const m = await imageManifest(repo, { created: c, salt: `${tag}-${i}`, platform });
        const d = await putManifest(repo, sha256(m), m, OCI_MANIFEST);
        entries.push({ mediaType: OCI_MANIFEST, digest: d, size: m.length, platform });
      }
      const idx = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: entries,
          ...(opts.annotationCreated
            ? { annotations: { "org.opencontainers.image.created": opts.annotationCreated } }
            : {}),
        }),
      );
      return putManifest(repo, tag, idx, OCI_INDEX);
    },
    async sign(repo, digest, key, opts = {}) {
      return this.signWith(
        repo,
        digest,
        (signed) => ({
          "dev.cosignproject.cosign/signature": sign("sha256", signed, key).toString("base64"),
        }),
        opts,
      );
    },
    async attachBundle(repo, digest, bundle, opts = {}) {
      const json = Buffer.from(JSON.stringify(bundle));
      const b = await pushBlob(repo, json);
      const empty = Buffer.from("{}");
      const e = await pushBlob(repo, empty);
      const head = await call("HEAD", `/v2/${repo}/manifests/${digest}`, { accept: OCI_MANIFEST });
      const artifactType = "application/vnd.dev.sigstore.bundle.v0.3+json";
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType,
          config: { mediaType: "application/vnd.oci.empty.v1+json", digest: e, size: empty.length },
          layers: [{ mediaType: artifactType, digest: b, size: json.length }],
          subject: { mediaType: OCI_MANIFEST, digest, size: Number(head.headers["content-length"]) },
          annotations: { "dev.sigstore.bundle.content": "dsse-envelope" },
        }),
      );
      const d = await putManifest(repo, sha256(manifest), manifest, OCI_MANIFEST);
      const descriptor = { mediaType: OCI_MANIFEST, digest: d, size: manifest.length, artifactType };
      if (opts.tagSchema === false) return descriptor;
      // The referrers tag schema: one index per subject, listing every referrer.
      const tag = digest.replace(":", "-");
      const got = await call("GET", `/v2/${repo}/manifests/${tag}`, { accept: OCI_INDEX });
      const listed =
        got.status === 200 ? (JSON.parse(got.text) as { manifests: ReferrerDescriptor[] }).manifests : [];
      const index = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...listed, descriptor] }),
      );
      await putManifest(repo, tag, index, OCI_INDEX);
      return descriptor;
    },
    async signWith(repo, digest, annotate, opts = {}) {
      const payload = simpleSigningPayload(`${host}/${repo}`, opts.payloadDigest ?? digest);
      const signed = opts.tamper ? Buffer.concat([payload, Buffer.from(" ")]) : payload;
      const annotations = annotate(signed);
      const p = await pushBlob(repo, payload);
      const config = Buffer.from("{}");
      const c = await pushBlob(repo, config);
      const artifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";
      let subject: { mediaType: string; digest: string; size: number } | undefined;
      if (opts.referrer) {
        const head = await call("HEAD", `/v2/${repo}/manifests/${digest}`, { accept: OCI_MANIFEST });
        subject = { mediaType: OCI_MANIFEST, digest, size: Number(head.headers["content-length"]) };
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          ...(subject ? { artifactType, subject } : {}),
          config: { mediaType: OCI_CONFIG, digest: c, size: config.length },
          layers: [
            {
              mediaType: SIMPLE_SIGNING,
              digest: p,
              size: payload.length,
              annotations,
            },
          ],
        }),
      );
      const ref = subject ? sha256(manifest) : `${digest.replace(":", "-")}.sig`;
      const d = await putManifest(repo, ref, manifest, OCI_MANIFEST);
      return { mediaType: OCI_MANIFEST, digest: d, size: manifest.length, artifactType };
    },
    close: () => dispatcher.close(),
  };
}

/**
 * What the content tests (fact-based and keyless selection) each start: the real docker-registry
 * (plain HTTP), a pusher for it, a scratch directory, and a count of the registry requests
 * imagectl itself makes (its REGISTRY_REQUEST diagnostics channel), so a test can say how many
 * reads a selection cost. stop() undoes all of it.
 */
export interface ContentLab {
  registry: TestRegistry;
  pusher: ContentPusher;
  dir: string;
  /** Registry requests imagectl has made since the lab started. */
  requests(): number;
  stop(): Promise<void>;
}

export async function startContentLab(dirPrefix: string): Promise<ContentLab> {
  const registry = await startRegistry({ mode: "plain" });
  const pusher = contentPusher(registry.url, registry.host);
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  let requests = 0;
  const count = (): void => {
    requests++;
  };
  subscribe(REGISTRY_REQUEST, count);
  return {
    registry,
    pusher,
    dir,
    requests: () => requests,
    async stop() {
      unsubscribe(REGISTRY_REQUEST, count);
      await pusher.close();
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
