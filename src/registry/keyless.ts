/**
 * Keyless cosign verification before selection (docs/selection.md): a digest counts as signed
 * only if a signature for it verifies against a Sigstore trusted root (certificate chain to a
 * trusted CA, inclusion in a trusted transparency log, SCTs when the root names CT logs), was
 * made by the wanted identity (certificate SAN and OIDC issuer) and binds this very digest.
 *
 * Found in both places cosign writes them: cosign 2.x `.sig` signatures with certificate and
 * Rekor bundle annotations (the same `.sig` tag and referrers the key path reads,
 * `signatureLayers` in signatures.ts), and Sigstore bundles attached as OCI referrers (Referrers
 * API, else the referrers tag schema `sha256-<hex>`). Everything is offline: nothing here talks
 * to Fulcio or Rekor.
 */
import { createHash } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import { PolicyError, type Signer, toSignedEntity, VerificationError, Verifier } from "@sigstore/verify";
import type { ContentDescriptor, ContentReader } from "./content-reader.js";
import {
  type Built,
  bundleBinding,
  bundleFromCosignLayer,
  readBundle,
  SIGSTORE_BUNDLE_ARTIFACT_TYPE,
  SIGSTORE_BUNDLE_MEDIA,
} from "./keyless-bundles.js";
import {
  MAX_PAYLOAD_BYTES,
  MAX_SIGNATURES,
  payloadProblem,
  type SignatureVerdict,
  signatureLayers,
} from "./signatures.js";
import type { TrustedRootMaterial } from "./sigstore-trusted-root.js";

/** A bundle is a few KB (certificate chain, log entry, signature); refuse far larger ones unread. */
const MAX_BUNDLE_BYTES = 256 * 1024;

export type KeylessReason = "no signature" | "bad signature" | "untrusted" | "wrong identity";

/** An identity or issuer wanted: an exact string, or a pattern the caller compiled (RE2). */
export interface IdentityMatcher {
  /** How it reads in messages and in the cache key, e.g. `'ci@example.com'` or `regexp '^https://…'`. */
  describe: string;
  matches(value: string): boolean;
}

export interface KeylessPolicy {
  identity: IdentityMatcher;
  issuer: IdentityMatcher;
  root: TrustedRootMaterial;
}

/** Verdicts are cached per digest and per this: identity, issuer and root together. */
export function keylessFingerprint(p: KeylessPolicy): string {
  const text = `${p.identity.describe}\n${p.issuer.describe}\n${p.root.fingerprint}`;
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

type Check = { ok: true } | { ok: false; reason: KeylessReason; detail: string };
const RANK: Record<KeylessReason, number> = {
  "no signature": 0,
  "bad signature": 1,
  untrusted: 2,
  "wrong identity": 3,
};

const verifiers = new WeakMap<TrustedRootMaterial, Verifier>();

/**
 * One log entry with an inclusion promise or proof, and one timestamp (the log's integrated time
 * or a timestamp authority's), as cosign requires; one SCT when the root names CT logs. A custom
 * root without CT logs (a private Sigstore without a CT log) cannot give SCTs: none is required.
 */
function verifierFor(root: TrustedRootMaterial): Verifier {
  let v = verifiers.get(root);
  if (!v) {
    v = new Verifier(root.trust, {
      tlogThreshold: 1,
      ctlogThreshold: root.hasCtlogs ? 1 : 0,
      timestampThreshold: 1,
    });
    verifiers.set(root, v);
  }
  return v;
}

const clip = (s: string): string => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

/** @sigstore/verify's failure as a reason: cryptography or trust, never a stack. */
function failure(err: unknown): Check {
  if (err instanceof VerificationError) {
    const why = clip(err.message);
    switch (err.code) {
      case "SIGNATURE_ERROR":
        return {
          ok: false,
          reason: "bad signature",
          detail: "the signature does not verify (content altered)",
        };
      case "TLOG_BODY_ERROR":
        // An entry kind @sigstore/verify does not read (cosign 1.x's `rekord`) proves nothing either way.
        if (/unsupported/.test(err.message))
          return { ok: false, reason: "untrusted", detail: `transparency log entry not verifiable (${why})` };
        return {
          ok: false,
          reason: "bad signature",
          detail: `the transparency log entry is for other content (${why})`,
        };
      case "CERTIFICATE_ERROR":
        return { ok: false, reason: "untrusted", detail: `certificate: ${why}` };
      case "TLOG_ERROR":
      case "TIMESTAMP_ERROR":
      case "TLOG_MISSING_INCLUSION_ERROR":
        return { ok: false, reason: "untrusted", detail: `no verifiable transparency log entry (${why})` };
      default:
        return { ok: false, reason: "untrusted", detail: `transparency log: ${why}` };
    }
  }
  if (err instanceof PolicyError) return { ok: false, reason: "wrong identity", detail: clip(err.message) };
  throw err;
}

function identityCheck(signer: Signer, p: KeylessPolicy): Check {
  const san = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  if (san === undefined || !p.identity.matches(san))
    return {
      ok: false,
      reason: "wrong identity",
      detail: `certificate SAN ${san === undefined ? "missing" : `'${clip(san)}'`}, wanted ${p.identity.describe}`,
    };
  if (issuer === undefined || !p.issuer.matches(issuer))
    return {
      ok: false,
      reason: "wrong identity",
      detail: `certificate issuer ${issuer === undefined ? "missing" : `'${clip(issuer)}'`}, wanted ${p.issuer.describe}`,
    };
  return { ok: true };
}

/** Cryptography and trust, then who signed; `artifact` for message signatures. */
export function checkBundle(bundle: Bundle, p: KeylessPolicy, artifact?: Buffer): Check {
  let signer: Signer;
  try {
    signer = verifierFor(p.root).verify(toSignedEntity(bundle, artifact));
  } catch (err) {
    return failure(err);
  }
  return identityCheck(signer, p);
}

/** A cosign 2.x `.sig` layer: bundle, verification, identity, then the payload names `digest`. */
export function checkCosignLayer(
  payload: Buffer,
  annotations: Record<string, string>,
  digest: string,
  p: KeylessPolicy,
): Check {
  const built: Built = bundleFromCosignLayer(payload, annotations);
  if (!built.ok) return built;
  const checked = checkBundle(built.bundle, p, payload);
  if (!checked.ok) return checked;
  const problem = payloadProblem(payload, digest);
  return problem ? { ok: false, reason: "bad signature", detail: problem } : { ok: true };
}

/** A Sigstore bundle (JSON) attached to `digest`: what it binds, then verification and identity. */
export async function checkSigstoreBundle(
  json: unknown,
  digest: string,
  p: KeylessPolicy,
  manifestBytes: () => Promise<Buffer>,
): Promise<Check> {
  const built = readBundle(json);
  if (!built.ok) return built;
  const binding = bundleBinding(built.bundle, digest);
  if (!binding.ok) return { ok: false, reason: "bad signature", detail: binding.detail };
  return checkBundle(built.bundle, p, binding.needs === "artifact" ? await manifestBytes() : undefined);
}

/** Bundle layers of `digest`'s Sigstore bundle referrers: Referrers API, else the tag schema. */
async function bundleLayers(reader: ContentReader, digest: string): Promise<ContentDescriptor[]> {
  let refs = await reader.referrers(digest, SIGSTORE_BUNDLE_ARTIFACT_TYPE);
  if (refs === undefined) {
    const index = await reader.tagDigest(digest.replace(":", "-"));
    refs = index ? ((await reader.manifest(index)).manifests ?? []) : [];
    refs = refs.filter((d) => d.artifactType === SIGSTORE_BUNDLE_ARTIFACT_TYPE);
  }
  const layers: ContentDescriptor[] = [];
  for (const m of refs.slice(0, MAX_SIGNATURES)) {
    for (const l of (await reader.manifest(m.digest)).layers ?? []) {
      if (SIGSTORE_BUNDLE_MEDIA.test(l.mediaType)) layers.push(l);
    }
  }
  return layers.slice(0, MAX_SIGNATURES);
}

/**
 * Verifies that `digest` carries a keyless signature by the wanted identity, in either format.
 * @throws RegistryError when the registry cannot be read (the verdict is then unknown, not "no").
 */
export async function verifyKeyless(
  reader: ContentReader,
  digest: string,
  p: KeylessPolicy,
): Promise<SignatureVerdict> {
  let worst: { reason: KeylessReason; detail: string } | undefined;
  const consider = (c: Check): boolean => {
    if (c.ok) return true;
    if (!worst || RANK[c.reason] > RANK[worst.reason]) worst = c;
    return false;
  };
  for (const layer of await signatureLayers(reader, digest)) {
    const c: Check =
      layer.size > MAX_PAYLOAD_BYTES
        ? { ok: false, reason: "bad signature", detail: `payload of ${layer.size} bytes is too large` }
        : checkCosignLayer(
            await reader.blob(layer.digest, MAX_PAYLOAD_BYTES),
            layer.annotations ?? {},
            digest,
            p,
          );
    if (consider(c)) return { verified: true };
  }
  let manifest: Promise<Buffer> | undefined;
  const manifestBytes = (): Promise<Buffer> => {
    manifest ??= reader.manifestBytes(digest);
    return manifest;
  };
  for (const layer of await bundleLayers(reader, digest)) {
    let c: Check;
    if (layer.size > MAX_BUNDLE_BYTES)
      c = { ok: false, reason: "bad signature", detail: `bundle of ${layer.size} bytes is too large` };
    else {
      const text = (await reader.blob(layer.digest, MAX_BUNDLE_BYTES)).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      c =
        json === undefined
          ? { ok: false, reason: "bad signature", detail: "the bundle is not valid JSON" }
          : await checkSigstoreBundle(json, digest, p, manifestBytes);
    }
    if (consider(c)) return { verified: true };
  }
  if (!worst) return { verified: false, reason: "no signature" };
  const w: { reason: KeylessReason; detail: string } = worst;
  return { verified: false, reason: `${w.reason}: ${w.detail}` };
}
