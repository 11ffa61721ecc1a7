/**
 * The Sigstore trusted root keyless verification checks against (docs/selection.md): the
 * public-good root shipped in `sigstore/public-good-trusted-root.json` (see the README there), or
 * one the user configures (`--trusted-root FILE`, a secret's `trusted_root.json`).
 *
 * The JSON is checked here with zod/mini and turned into @sigstore/verify's trust material by its
 * own `toTrustMaterial`. The protobuf message types live in @sigstore/protobuf-specs, which is not
 * a dependency of imagectl (only of @sigstore/verify), so the message is built from the checked
 * JSON by hand: the few fields `toTrustMaterial` reads, typed by its parameter.
 */
import { createHash } from "node:crypto";
import { type TrustMaterial, toTrustMaterial } from "@sigstore/verify";
import * as z from "zod/mini";
import { checkJson, checkValue } from "./checked-json.js";

type TrustedRoot = Parameters<typeof toTrustMaterial>[0];
type LogInstance = TrustedRoot["tlogs"][number];
type Authority = TrustedRoot["certificateAuthorities"][number];

/** A trusted root is ~10 KB; refuse a file far larger before parsing it. */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;

export class TrustedRootError extends Error {
  override name = "TrustedRootError";
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64 = z.string().check(z.refine((s) => B64.test(s), "expected base64"));
const time = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), "expected an RFC 3339 time"));
const TimeRange = z.object({ start: time, end: z.optional(time) });
const PublicKey = z.object({
  rawBytes: base64,
  keyDetails: z.string(),
  validFor: z.optional(z.object({ start: z.optional(time), end: z.optional(time) })),
});
const Log = z.object({
  baseUrl: z.string(),
  hashAlgorithm: z.optional(z.string()),
  publicKey: PublicKey,
  logId: z.object({ keyId: base64 }),
  checkpointKeyId: z.optional(z.object({ keyId: base64 })),
});
const Ca = z.object({
  subject: z.optional(z.object({ organization: z.optional(z.string()), commonName: z.optional(z.string()) })),
  uri: z.optional(z.string()),
  certChain: z.object({ certificates: z.array(z.object({ rawBytes: base64 })).check(z.minLength(1)) }),
  validFor: z.optional(TimeRange),
});
const Root = z.object({
  mediaType: z
    .string()
    .check(
      z.refine(
        (s) => s.startsWith("application/vnd.dev.sigstore.trustedroot"),
        "not a Sigstore trusted root",
      ),
    ),
  tlogs: z.array(Log).check(z.minLength(1, "needs at least one transparency log")),
  certificateAuthorities: z.array(Ca).check(z.minLength(1, "needs at least one certificate authority")),
  ctlogs: z.optional(z.array(Log)),
  timestampAuthorities: z.optional(z.array(Ca)),
});
type RootJson = z.infer<typeof Root>;

/** Key types the log keys are given in PKCS#1 (everything else is SPKI), as protobuf-specs numbers them. */
const PKCS1_KEY_DETAILS: Record<string, number> = { PKCS1_RSA_PKCS1V5: 1, PKCS1_RSA_PSS: 2 };
/** Any SPKI key (`toTrustMaterial` only tells PKCS#1 from SPKI). */
const SPKI_KEY_DETAILS = 5;

export interface TrustedRootMaterial {
  trust: TrustMaterial;
  /** Whether the root names CT logs: without any, no SCT can be required (private deployments). */
  hasCtlogs: boolean;
  /** sha256 of the root as parsed, for the cache key of verdicts. */
  fingerprint: string;
  /** Where it came from, for messages: "public-good", a file, a secret. */
  source: string;
}

const bytes = (b64: string): Buffer => Buffer.from(b64, "base64");
const date = (s: string | undefined): Date | undefined => (s === undefined ? undefined : new Date(s));

function log(l: RootJson["tlogs"][number]): LogInstance {
  const start = date(l.publicKey.validFor?.start);
  return {
    baseUrl: l.baseUrl,
    hashAlgorithm: 1,
    publicKey: {
      rawBytes: bytes(l.publicKey.rawBytes),
      keyDetails: PKCS1_KEY_DETAILS[l.publicKey.keyDetails] ?? SPKI_KEY_DETAILS,
      validFor: start ? { start, end: date(l.publicKey.validFor?.end) } : undefined,
    },
    logId: { keyId: bytes(l.logId.keyId) },
    checkpointKeyId: l.checkpointKeyId ? { keyId: bytes(l.checkpointKeyId.keyId) } : undefined,
    operator: "",
  };
}

function authority(c: RootJson["certificateAuthorities"][number]): Authority {
  return {
    subject: { organization: c.subject?.organization ?? "", commonName: c.subject?.commonName ?? "" },
    uri: c.uri ?? "",
    certChain: { certificates: c.certChain.certificates.map((x) => ({ rawBytes: bytes(x.rawBytes) })) },
    validFor: c.validFor ? { start: new Date(c.validFor.start), end: date(c.validFor.end) } : undefined,
    operator: "",
  };
}

function material(json: RootJson, source: string): TrustedRootMaterial {
  let trust: TrustMaterial;
  try {
    trust = toTrustMaterial({
      mediaType: json.mediaType,
      tlogs: json.tlogs.map(log),
      certificateAuthorities: json.certificateAuthorities.map(authority),
      ctlogs: (json.ctlogs ?? []).map(log),
      timestampAuthorities: (json.timestampAuthorities ?? []).map(authority),
    });
  } catch (err) {
    // A key or certificate that does not parse: say which kind of thing, not its bytes.
    const why = err instanceof Error ? err.message.slice(0, 120) : "unreadable";
    throw new TrustedRootError(`${source}: a key or certificate in the trusted root does not parse (${why})`);
  }
  const fingerprint = createHash("sha256").update(JSON.stringify(json)).digest("hex").slice(0, 32);
  return { trust, hasCtlogs: (json.ctlogs ?? []).length > 0, fingerprint, source };
}

/**
 * Parses a trusted_root.json given by the user; problems name `source` (a file, a secret key).
 * @throws TrustedRootError
 */
export function parseTrustedRoot(text: string, source: string): TrustedRootMaterial {
  if (text.length > MAX_TRUSTED_ROOT_BYTES)
    throw new TrustedRootError(`${source}: larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
  const checked = checkJson(Root, text);
  if (!checked.ok) throw new TrustedRootError(`${source}: trusted root ${checked.problem}`);
  return material(checked.value, source);
}

let publicGood: TrustedRootMaterial | undefined;

/** The Sigstore public-good trusted root shipped with imagectl (loaded on first use). */
export async function publicGoodTrustedRoot(): Promise<TrustedRootMaterial> {
  if (publicGood) return publicGood;
  const mod = await import("./sigstore/public-good-trusted-root.json", { with: { type: "json" } });
  const checked = checkValue(Root, mod.default);
  if (!checked.ok) throw new TrustedRootError(`the shipped public-good trusted root ${checked.problem}`);
  publicGood = material(checked.value, "public-good trusted root");
  return publicGood;
}
