/**
 * Turns what cosign stores in a registry into Sigstore bundles @sigstore/verify can check, and
 * says what a bundle signs. Two formats (cosign's specs/SIGNATURE_SPEC.md and BUNDLE_SPEC.md):
 *
 * - cosign 2.x keyless signatures (`sha256-<hex>.sig` tag or a `.sig` referrer): a layer whose blob
 *   is the simple-signing payload, with annotations `dev.cosignproject.cosign/signature` (base64
 *   signature over the payload), `dev.sigstore.cosign/certificate` (the Fulcio leaf, PEM),
 *   `dev.sigstore.cosign/chain` (intermediates and root, PEM) and `dev.sigstore.cosign/bundle`
 *   (Rekor's answer: `SignedEntryTimestamp` over `Payload` {body, integratedTime, logIndex,
 *   logID}). That is exactly a v0.1 bundle: message signature over the payload, the certificate
 *   chain, one log entry with its inclusion promise. Built here as serialized JSON and read back by
 *   @sigstore/bundle's own `bundleFromJSON`, which checks it.
 * - Sigstore bundles (`cosign sign --new-bundle-format`, cosign 3): OCI referrers of artifact type
 *   `application/vnd.dev.sigstore.bundle.v0.3+json` whose layer is the bundle JSON. What binds the
 *   image: a DSSE in-toto statement whose subject has the manifest's sha256 (cosign's image
 *   signature has predicate type `https://sigstore.dev/cosign/sign/v1`), or a message signature
 *   whose message digest is the manifest's digest (the signed artifact is the manifest itself).
 *
 * Hand-written because no library maps cosign's annotations to a bundle; the verification itself
 * is @sigstore/verify's.
 */
import { createHash } from "node:crypto";
import { type Bundle, bundleFromJSON } from "@sigstore/bundle";
import * as z from "zod/mini";
import { checkJson } from "./checked-json.js";

export const COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
export const COSIGN_CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
export const COSIGN_BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
export const SIGSTORE_BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
/** Bundle media types a layer may carry (v0.3 and the older `+json;version=` spelling). */
export const SIGSTORE_BUNDLE_MEDIA =
  /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.3\+json|\+json;version=0\.[123])$/;
export const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
const IN_TOTO = "application/vnd.in-toto+json";
const BUNDLE_V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";

/** A problem found before any cryptography: the words after the reason. */
export type Built =
  | { ok: true; bundle: Bundle }
  | { ok: false; reason: "bad signature" | "untrusted"; detail: string };

const notBuilt = (reason: "bad signature" | "untrusted", detail: string): Built => ({
  ok: false,
  reason,
  detail,
});

const RekorBundle = z.object({
  SignedEntryTimestamp: z.string(),
  Payload: z.object({
    body: z.string(),
    integratedTime: z.number(),
    logIndex: z.number(),
    logID: z.string().check(z.regex(/^[0-9a-f]{64}$/, "expected a hex log id")),
  }),
});
const RekorBody = z.object({ kind: z.string(), apiVersion: z.string() });

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g;

/** The DER certificates in a PEM text, base64 (as a serialized bundle holds them). */
export function pemCertificates(pem: string): string[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => (m[1] ?? "").replace(/\s+/g, ""));
}

/** A v0.1 bundle from a cosign 2.x signature layer's payload and annotations. */
export function bundleFromCosignLayer(payload: Buffer, annotations: Record<string, string>): Built {
  const certPem = annotations[COSIGN_CERTIFICATE_ANNOTATION];
  if (certPem === undefined)
    return notBuilt("untrusted", "signed with a key, not a certificate (no keyless signature)");
  const certs = [
    ...pemCertificates(certPem).slice(0, 1),
    ...pemCertificates(annotations[COSIGN_CHAIN_ANNOTATION] ?? ""),
  ];
  if (certs.length === 0)
    return notBuilt("bad signature", `${COSIGN_CERTIFICATE_ANNOTATION} is not a PEM certificate`);
  const rekorText = annotations[COSIGN_BUNDLE_ANNOTATION];
  if (rekorText === undefined)
    return notBuilt("untrusted", "no transparency log entry (no dev.sigstore.cosign/bundle)");
  const rekor = checkJson(RekorBundle, rekorText);
  if (!rekor.ok) return notBuilt("bad signature", `${COSIGN_BUNDLE_ANNOTATION} ${rekor.problem}`);
  const p = rekor.value.Payload;
  const body = checkJson(RekorBody, Buffer.from(p.body, "base64").toString("utf8"));
  if (!body.ok) return notBuilt("bad signature", `transparency log entry body ${body.problem}`);
  const serialized = {
    mediaType: BUNDLE_V01,
    verificationMaterial: {
      x509CertificateChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) },
      tlogEntries: [
        {
          logIndex: String(p.logIndex),
          logId: { keyId: Buffer.from(p.logID, "hex").toString("base64") },
          kindVersion: { kind: body.value.kind, version: body.value.apiVersion },
          integratedTime: String(p.integratedTime),
          inclusionPromise: { signedEntryTimestamp: rekor.value.SignedEntryTimestamp },
          canonicalizedBody: p.body,
        },
      ],
    },
    messageSignature: {
      messageDigest: { algorithm: "SHA2_256", digest: createHash("sha256").update(payload).digest("base64") },
      signature: annotations["dev.cosignproject.cosign/signature"] ?? "",
    },
  };
  return readBundle(serialized);
}

/** @sigstore/bundle's check of a bundle's shape; its message names fields, never values. */
export function readBundle(json: unknown): Built {
  try {
    return { ok: true, bundle: bundleFromJSON(json) };
  } catch (err) {
    const why = err instanceof Error ? err.message.slice(0, 120) : "unreadable";
    return notBuilt("bad signature", `not a valid Sigstore bundle (${why})`);
  }
}

const Statement = z.object({
  _type: z.string(),
  predicateType: z.string(),
  subject: z.array(z.object({ digest: z.record(z.string(), z.string()) })),
});

/**
 * How a Sigstore bundle binds the manifest `digest`: `artifact` when the caller must fetch the
 * manifest's bytes (a message signature over the manifest), `statement` when the DSSE statement
 * names it, or why it binds nothing here.
 */
export function bundleBinding(
  bundle: Bundle,
  digest: string,
): { ok: true; needs: "artifact" | "nothing" } | { ok: false; detail: string } {
  const hex = digest.startsWith("sha256:") ? digest.slice(7) : undefined;
  if (hex === undefined)
    return { ok: false, detail: `only sha256 digests can be checked (${digest.slice(0, 20)}…)` };
  const content = bundle.content;
  if (content.$case === "messageSignature") {
    const md = content.messageSignature.messageDigest;
    if (!md || md.digest.toString("hex") !== hex)
      return { ok: false, detail: "the bundle's message digest is not this manifest's digest" };
    return { ok: true, needs: "artifact" };
  }
  const env = content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO)
    return {
      ok: false,
      detail: `DSSE payload type '${env.payloadType.slice(0, 60)}' is not an in-toto statement`,
    };
  const st = checkJson(Statement, env.payload.toString("utf8"));
  if (!st.ok) return { ok: false, detail: `in-toto statement ${st.problem}` };
  if (st.value.predicateType !== COSIGN_SIGN_PREDICATE)
    return {
      ok: false,
      detail: `an attestation (${st.value.predicateType.slice(0, 80)}), not a cosign signature (${COSIGN_SIGN_PREDICATE})`,
    };
  if (!st.value.subject.some((s) => s.digest.sha256 === hex))
    return { ok: false, detail: "the statement's subject is another digest, not this one" };
  return { ok: true, needs: "nothing" };
}
