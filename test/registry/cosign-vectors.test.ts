import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkSimpleSigning } from "../../src/registry/index.js";

// A published cosign signature (key-based, no bundle): the test vector of sigstore-rs
// (src/cosign/signature_layers.rs, build_correct_signature_layer_without_bundle), made by the
// cosign CLI over the simple-signing payload of registry-testing.svc.lan/busybox; and the other
// P-256 key the same tests use to show a signature that does not verify.
const COSIGN_PUB = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENptdY/l3nB0yqkXLBWkZWQwo6+cu
OSWS1X9vPavpiQOoTTGC0xX57OojUadxF1cdQmrsiReWg2Wn4FneJfa8xw==
-----END PUBLIC KEY-----`;
const OTHER_PUB = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETJP9cqpUQsn2ggmJniWGjHdlsHzD
JsB89BPhZYch0U0hKANx5TY+ncrm0s8bfJxxHoenAEFhwhuXeb4PqIrtoQ==
-----END PUBLIC KEY-----`;
const SIGNATURE =
  "MEUCIQD6q/COgzOyW0YH1Dk+CCYSt4uAhm3FDHUwvPI55zwnlwIgE0ZK58ZOWpZw8YVmBapJhBqCfdPekIknimuO0xH8Jh8=";
const DIGEST = "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";
const PAYLOAD = Buffer.from(
  `{"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
);

describe("cosign simple-signing verification (published vector)", () => {
  const key = createPublicKey(COSIGN_PUB);

  it("accepts cosign's own signature for the digest it names", () => {
    expect(checkSimpleSigning(PAYLOAD, SIGNATURE, DIGEST, [key])).toEqual({ ok: true });
    // Any of several keys may verify it.
    expect(checkSimpleSigning(PAYLOAD, SIGNATURE, DIGEST, [createPublicKey(OTHER_PUB), key])).toEqual({
      ok: true,
    });
  });

  it("refuses it for another digest, with another key, or with an altered payload", () => {
    const other = `sha256:${"0".repeat(64)}`;
    expect(checkSimpleSigning(PAYLOAD, SIGNATURE, other, [key])).toMatchObject({
      ok: false,
      reason: "bad signature",
    });
    expect(checkSimpleSigning(PAYLOAD, SIGNATURE, DIGEST, [createPublicKey(OTHER_PUB)])).toMatchObject({
      ok: false,
      reason: "wrong key",
    });
    const altered = Buffer.from(PAYLOAD.toString().replace("busybox", "busyb0x"));
    expect(checkSimpleSigning(altered, SIGNATURE, DIGEST, [key])).toMatchObject({
      ok: false,
      reason: "wrong key",
    });
    expect(checkSimpleSigning(PAYLOAD, "", DIGEST, [key])).toMatchObject({
      ok: false,
      reason: "bad signature",
    });
  });

  it("hashes as cosign does for P-384 keys (SHA-384) and Ed25519 keys", () => {
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const sig384 = sign("sha384", PAYLOAD, p384.privateKey).toString("base64");
    expect(checkSimpleSigning(PAYLOAD, sig384, DIGEST, [p384.publicKey])).toEqual({ ok: true });
    const ed = generateKeyPairSync("ed25519");
    const sigEd = sign(null, PAYLOAD, ed.privateKey).toString("base64");
    expect(checkSimpleSigning(PAYLOAD, sigEd, DIGEST, [ed.publicKey])).toEqual({ ok: true });
  });

  it("a payload that verifies but is not cosign's is a bad signature", () => {
    const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const junk = Buffer.from(
      '{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"x"}}}',
    );
    const s = sign("sha256", junk, k.privateKey).toString("base64");
    expect(checkSimpleSigning(junk, s, DIGEST, [k.publicKey])).toMatchObject({
      ok: false,
      reason: "bad signature",
    });
  });
});
