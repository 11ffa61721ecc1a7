/**
 * Published Sigstore bundles (sigstore-conformance, test/fixtures/sigstore/README.md) made against
 * the real public-good Fulcio and Rekor, verified offline against the trusted root imagectl ships:
 * the only proof here that the shipped root and the verification agree with the real instance.
 * The artifact stands in for a manifest: a message signature binds the bytes whose sha256 is the
 * digest, a DSSE statement binds the digest in its subject.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBundle, checkSigstoreBundle, type KeylessPolicy } from "../../src/registry/keyless.js";
import { readBundle } from "../../src/registry/keyless-bundles.js";
import { publicGoodTrustedRoot } from "../../src/registry/sigstore-trusted-root.js";

const dir = join(import.meta.dirname, "../fixtures/sigstore");
const read = (f: string): unknown => JSON.parse(readFileSync(join(dir, f), "utf8"));
const artifact = readFileSync(join(dir, "a.txt"));
const digest = `sha256:${createHash("sha256").update(artifact).digest("hex")}`;
const IDENTITY =
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const exact = (s: string) => ({ describe: `'${s}'`, matches: (v: string) => v === s });

async function policy(identity = IDENTITY, issuer = ISSUER): Promise<KeylessPolicy> {
  return { identity: exact(identity), issuer: exact(issuer), root: await publicGoodTrustedRoot() };
}

describe("published public-good bundles against the shipped trusted root", () => {
  it("verifies a message signature over the manifest bytes and its identity", async () => {
    const p = await policy();
    const json = read("message-signature-v0.3.sigstore.json");
    expect(await checkSigstoreBundle(json, digest, p, async () => artifact)).toEqual({ ok: true });
    // Other bytes under the same digest claim: the signature does not verify.
    const altered = Buffer.concat([artifact, Buffer.from("x")]);
    expect(await checkSigstoreBundle(json, digest, p, async () => altered)).toMatchObject({
      ok: false,
      reason: "bad signature",
    });
    // Another digest: the bundle does not bind it, nothing is fetched.
    const other = `sha256:${"1".repeat(64)}`;
    const never = async (): Promise<Buffer> => {
      throw new Error("must not fetch");
    };
    expect(await checkSigstoreBundle(json, other, p, never)).toMatchObject({
      ok: false,
      reason: "bad signature",
      detail: "the bundle's message digest is not this manifest's digest",
    });
  });

  it("names the identity or issuer found when it is not the one wanted", async () => {
    const json = read("message-signature-v0.3.sigstore.json");
    const wrongSan = await checkSigstoreBundle(
      json,
      digest,
      await policy("ci@example.com"),
      async () => artifact,
    );
    expect(wrongSan).toEqual({
      ok: false,
      reason: "wrong identity",
      detail: `certificate SAN '${IDENTITY.slice(0, 100)}…', wanted 'ci@example.com'`,
    });
    const wrongIssuer = await checkSigstoreBundle(
      json,
      digest,
      await policy(IDENTITY, "https://accounts.google.com"),
      async () => artifact,
    );
    expect(wrongIssuer).toEqual({
      ok: false,
      reason: "wrong identity",
      detail: `certificate issuer '${ISSUER}', wanted 'https://accounts.google.com'`,
    });
  });

  it("a DSSE in-toto statement binds its subject's digest, but is an attestation, not a signature", async () => {
    const p = await policy();
    const json = read("dsse-intoto-v0.3.sigstore.json");
    // The vector's predicate is SLSA provenance: cosign's `verify` does not take that for an
    // image signature, and neither does imagectl.
    expect(await checkSigstoreBundle(json, digest, p, async () => artifact)).toMatchObject({
      ok: false,
      reason: "bad signature",
      detail: expect.stringMatching(/^an attestation \(https:\/\/slsa\.dev\/provenance\/v1\)/),
    });
    // Its signature, chain and log entry do verify against the shipped root.
    const built = readBundle(json);
    if (!built.ok) throw new Error(built.detail);
    expect(checkBundle(built.bundle, p)).toEqual({ ok: true });
  });

  it("a bundle that is not one is a bad signature", async () => {
    const p = await policy();
    expect(await checkSigstoreBundle({ mediaType: "nope" }, digest, p, async () => artifact)).toMatchObject({
      ok: false,
      reason: "bad signature",
    });
  });
});
