/**
 * cosign signature verification with public keys, before selection (docs/selection.md).
 *
 * Where signatures are: the OCI Referrers API (artifact type
 * `application/vnd.dev.cosign.artifact.sig.v1+json`), else cosign's tag schema
 * `sha256-<hex>.sig`. Each signature is a layer whose blob is cosign's simple-signing payload and
 * whose annotation `dev.cosignproject.cosign/signature` is the base64 signature of those bytes
 * (ECDSA P-256 with SHA-256 for cosign's keys, DER encoded). A signature counts only if it
 * verifies with a configured key AND its payload names the digest being verified as
 * `critical.image.docker-manifest-digest`: otherwise a signature of another image could be copied.
 * Hand-written: a key signature is a few lines of node:crypto, while @sigstore/verify wants trust
 * material (a transparency log, a timestamp) a bare key signature does not come with. Keyless
 * signatures (certificate + Rekor bundle, Sigstore bundles) go through @sigstore/verify in
 * keyless.ts, which reuses this file's layer listing and payload check.
 */
import { createHash, type KeyObject, verify } from "node:crypto";
import * as z from "zod/mini";
import { checkJson } from "./checked-json.js";
import type { ContentDescriptor, ContentReader } from "./content-reader.js";

export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const COSIGN_SIG_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

/** Payloads are a few hundred bytes; a larger layer is not a signature worth reading. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Signatures read per digest at most (a flood of junk layers must not cost unbounded requests). */
export const MAX_SIGNATURES = 16;

const Payload = z.object({
  critical: z.object({
    type: z.string(),
    image: z.object({ "docker-manifest-digest": z.string() }),
    identity: z.optional(z.object({ "docker-reference": z.optional(z.string()) })),
  }),
});

export type SignatureReason = "no signature" | "bad signature" | "wrong key";

export interface SignatureVerdict {
  verified: boolean;
  /** Why not, with detail after the reason word, e.g. "bad signature: payload names sha256:…". */
  reason?: string;
}

/** A fingerprint of a key set: verdicts are cached per digest and per fingerprint. */
export function keysFingerprint(keys: readonly KeyObject[]): string {
  const ders = keys.map((k) => k.export({ type: "spki", format: "der" }).toString("hex")).sort();
  return createHash("sha256").update(ders.join("\n")).digest("hex").slice(0, 32);
}

/** The tag cosign stores the signatures of `digest` under. */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}

/** The digest cosign signs with for a key: SHA-384 / SHA-512 for P-384 / P-521, none for Ed25519, else SHA-256. */
function hashFor(key: KeyObject): string | null {
  if (key.asymmetricKeyType === "ed25519") return null;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === "secp384r1" ? "sha384" : curve === "secp521r1" ? "sha512" : "sha256";
}

type Check = { ok: true } | { ok: false; reason: SignatureReason; detail: string };

/** Checks one signature layer's payload and signature against `digest` and the keys. */
export function checkSimpleSigning(
  payload: Buffer,
  signatureB64: string,
  digest: string,
  keys: readonly KeyObject[],
): Check {
  const sig = Buffer.from(signatureB64, "base64");
  if (sig.length === 0) return { ok: false, reason: "bad signature", detail: "empty signature" };
  const good = keys.some((key) => {
    try {
      return verify(hashFor(key), payload, key, sig);
    } catch {
      return false;
    }
  });
  if (!good)
    return {
      ok: false,
      reason: "wrong key",
      detail: "the signature does not verify with the configured key (signed with another key, or altered)",
    };
  const problem = payloadProblem(payload, digest);
  return problem ? { ok: false, reason: "bad signature", detail: problem } : { ok: true };
}

/**
 * Why a simple-signing payload does not bind `digest` (not a payload, another type, another
 * digest), or undefined when it does. Shared with keyless verification (keyless.ts).
 */
export function payloadProblem(payload: Buffer, digest: string): string | undefined {
  const parsed = checkJson(Payload, payload.toString("utf8"));
  if (!parsed.ok) return `payload is not a simple-signing payload: ${parsed.problem}`;
  const c = parsed.value.critical;
  if (c.type !== COSIGN_SIGNATURE_TYPE) return `payload type is '${c.type.slice(0, 80)}'`;
  const named = c.image["docker-manifest-digest"];
  if (named !== digest) return `payload names ${named.slice(0, 80)}, not this digest`;
  return undefined;
}

const RANK: Record<SignatureReason, number> = { "no signature": 0, "bad signature": 1, "wrong key": 2 };

/** Signature layers of the manifests that hold `digest`'s signatures. */
export async function signatureLayers(reader: ContentReader, digest: string): Promise<ContentDescriptor[]> {
  const manifests: string[] = [];
  const referrers = await reader.referrers(digest, COSIGN_SIG_ARTIFACT_TYPE);
  for (const d of referrers ?? []) manifests.push(d.digest);
  const tagged = await reader.tagDigest(cosignSignatureTag(digest));
  if (tagged && !manifests.includes(tagged)) manifests.push(tagged);
  const layers: ContentDescriptor[] = [];
  for (const m of manifests.slice(0, MAX_SIGNATURES)) {
    for (const l of (await reader.manifest(m)).layers ?? []) {
      if (l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] !== undefined) layers.push(l);
    }
  }
  return layers.slice(0, MAX_SIGNATURES);
}

/**
 * Verifies that `digest` carries a valid cosign signature by one of `keys`.
 * @throws RegistryError when the registry cannot be read (the verdict is then unknown, not "no").
 */
export async function verifyCosign(
  reader: ContentReader,
  digest: string,
  keys: readonly KeyObject[],
): Promise<SignatureVerdict> {
  const layers = await signatureLayers(reader, digest);
  let worst: { reason: SignatureReason; detail: string } | undefined;
  for (const layer of layers) {
    let result: Check;
    if (layer.size > MAX_PAYLOAD_BYTES)
      result = { ok: false, reason: "bad signature", detail: `payload of ${layer.size} bytes is too large` };
    else {
      const payload = await reader.blob(layer.digest, MAX_PAYLOAD_BYTES);
      result = checkSimpleSigning(
        payload,
        layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION] ?? "",
        digest,
        keys,
      );
    }
    if (result.ok) return { verified: true };
    if (!worst || RANK[result.reason] > RANK[worst.reason]) worst = result;
  }
  if (!worst) return { verified: false, reason: "no signature" };
  return { verified: false, reason: `${worst.reason}: ${worst.detail}` };
}
