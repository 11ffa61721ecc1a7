/**
 * Keyless verification against the real registry (Debian's docker-registry) with a private
 * Sigstore made in the test (test/support/private-sigstore.ts): signatures in both formats cosign
 * writes are pushed, then verified offline against a trusted root naming that CA and log. Each
 * way a signature can fail is a separate digest with its own reason; then the ImagePolicy
 * reconciler selects only the tag signed by the wanted identity, and caches its verdicts.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImagePolicy, ImageRepository } from "../../src/api/types.js";
import type { ControllerDeps } from "../../src/controller/controller-deps.js";
import { reconcileImagePolicy } from "../../src/controller/image-policy.js";
import { reconcileImageRepository } from "../../src/controller/image-repository.js";
import { ContentReader, parseImageReference } from "../../src/registry/index.js";
import { type KeylessPolicy, verifyKeyless } from "../../src/registry/keyless.js";
import { parseTrustedRoot } from "../../src/registry/sigstore-trusted-root.js";
import { openStore } from "../../src/store/index.js";
import {
  type ContentLab,
  type ContentPusher,
  cosignKeyPair,
  startContentLab,
} from "../support/image-content.js";
import { type PrivateSigstore, privateSigstore } from "../support/private-sigstore.js";
import type { TestRegistry } from "../support/registry.js";

const NS = "flux-system";
const SAN = "ci@example.com";
const ISSUER = "https://issuer.example";
const exact = (s: string) => ({ describe: `'${s}'`, matches: (v: string) => v === s });

let content: ContentLab;
let registry: TestRegistry;
let pusher: ContentPusher;
let sigstore: PrivateSigstore;
let policy: KeylessPolicy;
let dir: string;

beforeAll(async () => {
  content = await startContentLab("imagectl-keyless-");
  ({ registry, pusher, dir } = content);
  sigstore = privateSigstore();
  policy = {
    identity: exact(SAN),
    issuer: exact(ISSUER),
    root: parseTrustedRoot(sigstore.trustedRoot(), "test root"),
  };
});
afterAll(async () => {
  sigstore?.close();
  await content?.stop();
});

const reader = (path: string) => new ContentReader(parseImageReference(`${registry.host}/${path}`));
let salt = 0;
const image = (path: string, tag?: string) => pusher.pushImage(path, tag, { salt: `k${salt++}` });
const good = () => sigstore.leaf({ san: `email:${SAN}`, issuer: ISSUER });

describe("keyless cosign signatures (cosign 2.x .sig with certificate and Rekor bundle)", () => {
  const path = "keyless/sig";

  it("the wanted identity's signature verifies; each failure has its reason", async () => {
    const verdict = async (sign: (digest: string) => Promise<unknown>, p = policy) => {
      const d = await image(path);
      await sign(d);
      return verifyKeyless(reader(path), d, p);
    };
    const layer =
      (leaf = good(), o = {}) =>
      (signed: Buffer) =>
        sigstore.cosignLayer(signed, leaf, o);

    expect(await verdict((d) => pusher.signWith(path, d, layer()))).toEqual({ verified: true });
    expect(await verdict(async () => undefined)).toEqual({ verified: false, reason: "no signature" });

    const wrongSan = sigstore.leaf({ san: "email:mallory@example.com", issuer: ISSUER });
    expect(await verdict((d) => pusher.signWith(path, d, layer(wrongSan)))).toEqual({
      verified: false,
      reason: "wrong identity: certificate SAN 'mallory@example.com', wanted 'ci@example.com'",
    });
    const wrongIssuer = sigstore.leaf({ san: `email:${SAN}`, issuer: "https://accounts.example" });
    expect(await verdict((d) => pusher.signWith(path, d, layer(wrongIssuer)))).toEqual({
      verified: false,
      reason:
        "wrong identity: certificate issuer 'https://accounts.example', wanted 'https://issuer.example'",
    });
    // The payload stored is not the one signed and logged.
    const tampered = await verdict((d) => pusher.signWith(path, d, layer(), { tamper: true }));
    expect(tampered.reason).toMatch(/^bad signature: the transparency log entry is for other content/);
    // A certificate from a CA the root does not name.
    const foreign = sigstore.foreignLeaf({ san: `email:${SAN}`, issuer: ISSUER });
    const untrusted = await verdict((d) => pusher.signWith(path, d, layer(foreign)));
    expect(untrusted.reason).toMatch(/^untrusted: certificate: /);
    // Signed, but never logged.
    const unlogged = await verdict((d) => pusher.signWith(path, d, layer(good(), { noTlog: true })));
    expect(unlogged.reason).toBe("untrusted: no transparency log entry (no dev.sigstore.cosign/bundle)");
    // A valid signature of another image copied next to this one.
    const other = await image(path);
    const copied = await verdict((d) => pusher.signWith(path, d, layer(), { payloadDigest: other }));
    expect(copied.reason).toBe(`bad signature: payload names ${other}, not this digest`);
    // A key signature (no certificate) does not count for keyless.
    const keyed = await verdict((d) => pusher.sign(path, d, cosignKeyPair().privateKey));
    expect(keyed.reason).toBe("untrusted: signed with a key, not a certificate (no keyless signature)");
  });

  it("identity and issuer patterns are RE2 and unanchored, as cosign's -regexp flags", async () => {
    const { compileGoRegex } = await import("../../src/policy/index.js");
    const re = (p: string) => {
      const r = compileGoRegex(p);
      return { describe: `regexp '${p}'`, matches: (v: string) => r.test(v) };
    };
    const uri = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main";
    const d = await image(path);
    await pusher.signWith(path, d, (s) =>
      sigstore.cosignLayer(s, sigstore.leaf({ san: `URI:${uri}`, issuer: ISSUER })),
    );
    const withRe = (identity: string) => ({
      ...policy,
      identity: re(identity),
      issuer: re("issuer\\.example"),
    });
    expect(await verifyKeyless(reader(path), d, withRe("^https://github\\.com/org/app/"))).toEqual({
      verified: true,
    });
    expect(await verifyKeyless(reader(path), d, withRe("^https://github\\.com/org/other/"))).toEqual({
      verified: false,
      reason: `wrong identity: certificate SAN '${uri}', wanted regexp '^https://github\\.com/org/other/'`,
    });
  });

  it("a root with a CT log requires an SCT, which a private CA's certificate does not have", async () => {
    const d = await image(path);
    await pusher.signWith(path, d, (s) => sigstore.cosignLayer(s, good()));
    const withCt = { ...policy, root: parseTrustedRoot(sigstore.trustedRoot({ ctlog: true }), "ct root") };
    expect((await verifyKeyless(reader(path), d, withCt)).reason).toMatch(
      /^untrusted: certificate: expected 1 SCTs, got 0/,
    );
    expect(await verifyKeyless(reader(path), d, policy)).toEqual({ verified: true });
  });
});

describe("Sigstore bundles attached as referrers (cosign --new-bundle-format)", () => {
  const path = "keyless/bundle";

  it("a DSSE statement naming this digest verifies; others are refused with their reason", async () => {
    const verdict = async (bundleFor: (digest: string) => unknown) => {
      const d = await image(path);
      await pusher.attachBundle(path, d, bundleFor(d));
      return verifyKeyless(reader(path), d, policy);
    };
    expect(await verdict((d) => sigstore.bundle(d, good()))).toEqual({ verified: true });
    const other = await image(path);
    expect((await verdict((d) => sigstore.bundle(d, good(), { subjectDigest: other }))).reason).toBe(
      "bad signature: the statement's subject is another digest, not this one",
    );
    expect(
      (await verdict((d) => sigstore.bundle(d, good(), { predicateType: "https://slsa.dev/provenance/v1" })))
        .reason,
    ).toMatch(/^bad signature: an attestation \(https:\/\/slsa\.dev\/provenance\/v1\)/);
    const wrong = sigstore.leaf({ san: "email:mallory@example.com", issuer: ISSUER });
    expect((await verdict((d) => sigstore.bundle(d, wrong))).reason).toMatch(
      /^wrong identity: certificate SAN/,
    );
    const foreign = sigstore.foreignLeaf({ san: `email:${SAN}`, issuer: ISSUER });
    expect((await verdict((d) => sigstore.bundle(d, foreign))).reason).toMatch(/^untrusted: certificate/);
    // The signature altered after logging.
    const altered = (
      await verdict((d) => {
        const b = sigstore.bundle(d, good()) as { dsseEnvelope: { signatures: { sig: string }[] } };
        const sig = Buffer.from(b.dsseEnvelope.signatures[0]?.sig ?? "", "base64");
        sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
        b.dsseEnvelope.signatures[0] = { sig: sig.toString("base64") };
        return b;
      })
    ).reason;
    expect(altered).toMatch(/^bad signature: /);
    // The log entry removed.
    const unlogged = (
      await verdict((d) => {
        const b = sigstore.bundle(d, good()) as { verificationMaterial: { tlogEntries: unknown[] } };
        b.verificationMaterial.tlogEntries = [];
        return b;
      })
    ).reason;
    expect(unlogged).toMatch(/^untrusted: no verifiable transparency log entry/);
  });
});

describe("Sigstore bundles with a message signature over the manifest", () => {
  it("verifies against the manifest's bytes read from the registry", async () => {
    const path = "keyless/message";
    const manifestOf = async (d: string) => {
      const res = await fetch(`${registry.url}/v2/${path}/manifests/${d}`, {
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      return Buffer.from(await res.arrayBuffer());
    };
    const d = await image(path);
    await pusher.attachBundle(path, d, sigstore.messageBundle(await manifestOf(d), good()));
    expect(await verifyKeyless(reader(path), d, policy)).toEqual({ verified: true });
    // The bundle of another image attached to this one binds nothing here.
    const other = await image(path);
    const d2 = await image(path);
    await pusher.attachBundle(path, d2, sigstore.messageBundle(await manifestOf(other), good()));
    expect(await verifyKeyless(reader(path), d2, policy)).toEqual({
      verified: false,
      reason: "bad signature: the bundle's message digest is not this manifest's digest",
    });
  });
});

describe("the ImagePolicy reconciler with keyless verification", () => {
  it("selects only the tag signed by the wanted identity, caches verdicts, takes the root from a secret", async () => {
    const path = "keyless/app";
    const d1 = await image(path, "1.0.0");
    const d2 = await image(path, "1.1.0");
    const d3 = await image(path, "1.2.0");
    await image(path, "1.3.0"); // unsigned
    await pusher.signWith(path, d1, (s) => sigstore.cosignLayer(s, good()));
    await pusher.attachBundle(path, d2, sigstore.bundle(d2, good()));
    await pusher.attachBundle(
      path,
      d3,
      sigstore.bundle(d3, sigstore.leaf({ san: "email:x@example.com", issuer: ISSUER })),
    );
    const store = await openStore({ home: join(dir, "home") });
    let clock = Date.now();
    const deps: ControllerDeps = { store, home: join(dir, "home"), now: () => new Date(clock) };
    await store.putSecret(NS, "sigstore-root", {
      type: "Opaque",
      data: { "trusted_root.json": sigstore.trustedRoot() },
    });
    const repo: ImageRepository = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: "app", namespace: NS },
      spec: { image: `${registry.host}/${path}`, interval: "1h" },
    };
    const pol = (root: string): ImagePolicy => ({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: {
        name: "app",
        namespace: NS,
        annotations: {
          "imagectl.io/verify": "cosign",
          "imagectl.io/verify-identity": SAN,
          "imagectl.io/verify-issuer": ISSUER,
          "imagectl.io/verify-trusted-root-secret-ref": root,
        },
      },
      spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: "*" } } },
    });
    await store.apply([repo, pol("sigstore-root")]);
    const select = async () => {
      clock += 1000;
      expect(
        (
          await reconcileImageRepository(deps, await store.mustGet("ImageRepository", NS, "app"), {
            force: true,
          })
        ).ready,
      ).toBe(true);
      const before = content.requests();
      const outcome = await reconcileImagePolicy(deps, await store.mustGet("ImagePolicy", NS, "app"));
      const got = await store.mustGet("ImagePolicy", NS, "app");
      return { outcome, tag: got.status?.latestRef?.tag, requests: content.requests() - before };
    };
    expect((await select()).tag).toBe("1.1.0");
    // Cached per digest under identity+issuer+root: only the tags are resolved again.
    const again = await select();
    expect(again.tag).toBe("1.1.0");
    expect(again.requests).toBe(4);

    // Nobody signed as this identity: not Ready, every verdict says whose signature was found.
    const nobody = pol("sigstore-root");
    nobody.metadata.annotations = {
      ...nobody.metadata.annotations,
      "imagectl.io/verify-identity": "nobody@example.com",
    };
    await store.apply([repo, nobody]);
    const none = await select();
    expect(none.tag).toBe("1.1.0"); // the previous selection stays
    expect(none.outcome.message).toContain(
      "1.2.0 unverified: wrong identity: certificate SAN 'x@example.com', wanted 'nobody@example.com'",
    );
    expect(none.outcome.message).toContain("1.3.0 unverified: no signature");

    // Without the secret: not Ready, naming the secret and the annotation; nothing published.
    await store.apply([repo, pol("missing-root")]);
    const missing = await select();
    expect(missing.outcome.message).toBe(
      "secret 'flux-system/missing-root' not found (imagectl.io/verify-trusted-root-secret-ref)",
    );
    // A damaged root names the secret and its key, never the content.
    await store.putSecret(NS, "bad-root", {
      type: "Opaque",
      data: { "trusted_root.json": '{"mediaType":"x"}' },
    });
    await store.apply([repo, pol("bad-root")]);
    expect((await select()).outcome.message).toMatch(
      /^secret 'flux-system\/bad-root' key trusted_root.json: trusted root is not valid: field mediaType/,
    );
    await store.close?.();
  });
});
