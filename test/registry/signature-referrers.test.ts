/**
 * Signatures found through the OCI Referrers API. The Debian registry (distribution 2.8) has no
 * such API (it answers 404, which the other tests rely on for the `.sig` fallback), so here a
 * loopback front server answers `GET /v2/<name>/referrers/<digest>` as the OCI distribution spec
 * 1.1 describes it (an image index of descriptors, `artifactType` filter, OCI-Filters-Applied) and
 * passes every other request to the real registry, where the signature manifests are stored by
 * digest with `subject` and `artifactType` (cosign signatures, and Sigstore bundles for keyless).
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContentReader, parseImageReference, verifyCosign } from "../../src/registry/index.js";
import { verifyKeyless } from "../../src/registry/keyless.js";
import { parseTrustedRoot } from "../../src/registry/sigstore-trusted-root.js";
import {
  type ContentPusher,
  contentPusher,
  cosignKeyPair,
  type ReferrerDescriptor,
} from "../support/image-content.js";
import { privateSigstore } from "../support/private-sigstore.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

const INDEX = "application/vnd.oci.image.index.v1+json";
const DIGEST = /^sha256:[a-f0-9]{64}$/;

let registry: TestRegistry;
let pusher: ContentPusher;
let front: Server;
let frontHost: string;
const referrers = new Map<string, ReferrerDescriptor[]>();
const referrerCalls: string[] = [];
let filterApplied = true;

beforeAll(async () => {
  registry = await startRegistry({ mode: "plain" });
  pusher = contentPusher(registry.url, registry.host);
  front = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://front");
    const m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "GET") {
      referrerCalls.push(`${url.pathname}${url.search} accept=${req.headers.accept}`);
      const digest = m[2] as string;
      if (!DIGEST.test(digest)) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "DIGEST_INVALID", message: "invalid digest" }] }));
        return;
      }
      const type = url.searchParams.get("artifactType");
      const all = referrers.get(digest) ?? [];
      const shown = type && filterApplied ? all.filter((d) => d.artifactType === type) : all;
      res.writeHead(200, {
        "content-type": INDEX,
        ...(type && filterApplied ? { "oci-filters-applied": "artifactType" } : {}),
      });
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: shown }));
      return;
    }
    const up = request(
      {
        host: "127.0.0.1",
        port: Number(new URL(registry.url).port),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  frontHost = `127.0.0.1:${(front.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => front?.close(() => r()));
  await pusher?.close();
  await registry?.stop();
});

describe("cosign signatures through the OCI Referrers API", () => {
  it("verifies a signature that exists only as a referrer (no .sig tag)", async () => {
    const key = cosignKeyPair();
    const digest = await pusher.pushImage("ref/app", "1.0.0", { salt: "r1" });
    referrers.set(digest, [await pusher.sign("ref/app", digest, key.privateKey, { referrer: true })]);
    const reader = new ContentReader(parseImageReference(`${frontHost}/ref/app`));
    const { createPublicKey } = await import("node:crypto");
    expect(await verifyCosign(reader, digest, [createPublicKey(key.publicKeyPem)])).toEqual({
      verified: true,
    });
    expect(referrerCalls.at(-1)).toBe(
      `/v2/ref/app/referrers/${digest}?artifactType=application%2Fvnd.dev.cosign.artifact.sig.v1%2Bjson accept=${INDEX}`,
    );
    // A registry that ignores the filter: other artifacts in the answer are filtered out again.
    filterApplied = false;
    const other = cosignKeyPair();
    const sbom = {
      mediaType: INDEX,
      digest: `sha256:${"a".repeat(64)}`,
      size: 10,
      artifactType: "application/spdx+json",
    };
    referrers.set(digest, [sbom, await pusher.sign("ref/app", digest, other.privateKey, { referrer: true })]);
    const fresh = new ContentReader(parseImageReference(`${frontHost}/ref/app`));
    const verdict = await verifyCosign(fresh, digest, [createPublicKey(key.publicKeyPem)]);
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toMatch(/^wrong key/);
    filterApplied = true;
  });

  it("finds a Sigstore bundle through the Referrers API (no tag schema index)", async () => {
    const sigstore = privateSigstore();
    try {
      const exact = (v: string) => ({ describe: `'${v}'`, matches: (x: string) => x === v });
      const policy = {
        identity: exact("ci@example.com"),
        issuer: exact("https://issuer.example"),
        root: parseTrustedRoot(sigstore.trustedRoot(), "test root"),
      };
      const digest = await pusher.pushImage("ref/keyless", "1.0.0", { salt: "rk1" });
      const leaf = sigstore.leaf({ san: "email:ci@example.com", issuer: "https://issuer.example" });
      const bundle = await pusher.attachBundle("ref/keyless", digest, sigstore.bundle(digest, leaf), {
        tagSchema: false,
      });
      const reader = () => new ContentReader(parseImageReference(`${frontHost}/ref/keyless`));
      // Not listed yet: nothing to find (the tag schema index was not written).
      expect(await verifyKeyless(reader(), digest, policy)).toEqual({
        verified: false,
        reason: "no signature",
      });
      referrers.set(digest, [bundle]);
      expect(await verifyKeyless(reader(), digest, policy)).toEqual({ verified: true });
      expect(referrerCalls.at(-1)).toBe(
        `/v2/ref/keyless/referrers/${digest}?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson accept=${INDEX}`,
      );
    } finally {
      sigstore.close();
    }
  });
});
