/**
 * imagectl's selection extensions, carried as annotations on a Flux ImagePolicy so that the
 * manifest stays valid for Flux (which ignores them): natural pre-release order, newest pushed,
 * minimum age and cosign signature verification (with keys, or keyless against a Sigstore trusted
 * root). See docs/selection.md.
 */
import { isValidDuration, parseDuration } from "./duration.js";
import { checkExclusionList } from "./policy-checks.js";

export const SELECTION_ANNOTATIONS = {
  prereleaseOrder: "imagectl.io/prerelease-order",
  select: "imagectl.io/select",
  minAge: "imagectl.io/min-age",
  maxReads: "imagectl.io/max-reads",
  verify: "imagectl.io/verify",
  verifyKey: "imagectl.io/verify-key",
  verifySecretRef: "imagectl.io/verify-secret-ref",
  verifyIdentity: "imagectl.io/verify-identity",
  verifyIdentityRegexp: "imagectl.io/verify-identity-regexp",
  verifyIssuer: "imagectl.io/verify-issuer",
  verifyIssuerRegexp: "imagectl.io/verify-issuer-regexp",
  verifyTrustedRootSecretRef: "imagectl.io/verify-trusted-root-secret-ref",
} as const;

/** The key of a trusted-root secret that holds the trusted root (as cosign's `--trusted-root` file). */
export const TRUSTED_ROOT_SECRET_KEY = "trusted_root.json";

/** Default bound on registry reads for unknown digests in one policy reconcile. */
export const DEFAULT_MAX_READS = 1000;
const MAX_READS_LIMIT = 100_000;
/** A public key in an annotation is a few hundred bytes; refuse anything far larger before parsing. */
const MAX_KEY_BYTES = 16 * 1024;
/** An identity (email, URI) or issuer URL, or a pattern for one: far below this. */
const MAX_IDENTITY_CHARS = 1024;

export interface VerifyOptions {
  provider: "cosign";
  /** PEM public keys given inline (`imagectl.io/verify-key`). */
  publicKeys: string[];
  /** A secret whose keys ending in `.pub` hold PEM public keys (as Flux's OCIRepository verify). */
  secretRef?: string;
  /** Keyless: who must have signed, instead of keys (cosign's `--certificate-identity` & co). */
  keyless?: KeylessOptions;
}

/** One of each pair is set: exact string or RE2 pattern (unanchored, as cosign and Flux match). */
export interface KeylessOptions {
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  /** A secret whose `trusted_root.json` replaces the shipped public-good trusted root. */
  trustedRootSecretRef?: string;
}

export interface SelectionOptions {
  prereleaseOrder?: "natural" | "flux";
  newest?: boolean;
  minAgeMs?: number;
  /** The min-age as written, for messages. */
  minAge?: string;
  maxReads: number;
  verify?: VerifyOptions;
}

export interface SelectionProblem {
  field: string;
  message: string;
}

const field = (key: string): string => `metadata.annotations[${key}]`;

/** Whether any fact-based rule is on (they need registry reads before selection). */
export function needsImageFacts(o: SelectionOptions): boolean {
  return o.newest === true || o.minAgeMs !== undefined || o.verify !== undefined;
}

const PEM_PUBLIC_KEY = /^\s*-----BEGIN PUBLIC KEY-----\s*[A-Za-z0-9+/=\s]+-----END PUBLIC KEY-----\s*$/;

/**
 * Checks the PEM armour of a public key (size first); returns a problem text or undefined. The
 * key itself is parsed where it is used (src/controller/policy-inputs.ts), so that loading the
 * API does not load node:crypto.
 */
export function pemProblem(pem: string): string | undefined {
  if (pem.length > MAX_KEY_BYTES) return `public key is longer than ${MAX_KEY_BYTES} bytes`;
  return PEM_PUBLIC_KEY.test(pem) ? undefined : "not a PEM public key (-----BEGIN PUBLIC KEY-----)";
}

/** Reads the selection annotations of an ImagePolicy; every bad value is named by its key. */
export function readSelectionOptions(annotations: Record<string, string> | undefined): {
  options: SelectionOptions;
  problems: SelectionProblem[];
} {
  const a = annotations ?? {};
  const K = SELECTION_ANNOTATIONS;
  const problems: SelectionProblem[] = [];
  const options: SelectionOptions = { maxReads: DEFAULT_MAX_READS };
  const bad = (key: string, message: string): void => {
    problems.push({ field: field(key), message });
  };

  const order = a[K.prereleaseOrder];
  if (order !== undefined) {
    if (order === "natural" || order === "flux") options.prereleaseOrder = order;
    else bad(K.prereleaseOrder, `invalid value ${JSON.stringify(order)}: must be natural or flux`);
  }
  const select = a[K.select];
  if (select !== undefined) {
    if (select === "newest") options.newest = true;
    else bad(K.select, `invalid value ${JSON.stringify(select)}: the only choice is newest`);
  }
  const minAge = a[K.minAge];
  if (minAge !== undefined) {
    if (isValidDuration(minAge, "interval")) {
      options.minAgeMs = parseDuration(minAge);
      options.minAge = minAge;
    } else bad(K.minAge, `invalid duration ${JSON.stringify(minAge)}: expected e.g. 30m, 24h or 168h`);
  }
  const maxReads = a[K.maxReads];
  if (maxReads !== undefined) {
    const n = /^[0-9]{1,6}$/.test(maxReads) ? Number(maxReads) : Number.NaN;
    if (n >= 1 && n <= MAX_READS_LIMIT) options.maxReads = n;
    else
      bad(
        K.maxReads,
        `invalid value ${JSON.stringify(maxReads)}: must be a whole number from 1 to ${MAX_READS_LIMIT}`,
      );
  }

  const verify = a[K.verify];
  const keylessKeys = [K.verifyIdentity, K.verifyIdentityRegexp, K.verifyIssuer, K.verifyIssuerRegexp];
  const usesKeyless = keylessKeys.some((k) => a[k] !== undefined);
  const key = a[K.verifyKey];
  const secretRef = a[K.verifySecretRef];
  const usesKey = key !== undefined || secretRef !== undefined;
  if (verify !== undefined) {
    if (verify !== "cosign")
      bad(K.verify, `invalid value ${JSON.stringify(verify)}: the only provider is cosign`);
    else if (usesKey && usesKeyless)
      bad(
        K.verify,
        `keys (${K.verifyKey}, ${K.verifySecretRef}) and keyless (${K.verifyIdentity}, ${K.verifyIssuer}) are alternatives: set one`,
      );
    else if (!usesKey && !usesKeyless)
      bad(
        K.verify,
        `cosign verification needs ${K.verifyKey} (a PEM public key) or ${K.verifySecretRef}, or keyless ${K.verifyIdentity} and ${K.verifyIssuer}`,
      );
    else {
      const v: VerifyOptions = { provider: "cosign", publicKeys: [] };
      if (key !== undefined) {
        const problem = pemProblem(key);
        if (problem) bad(K.verifyKey, problem);
        else v.publicKeys.push(key);
      }
      if (secretRef !== undefined) {
        if (SECRET_NAME.test(secretRef)) v.secretRef = secretRef;
        else bad(K.verifySecretRef, `invalid secret name ${JSON.stringify(secretRef)}`);
      }
      if (usesKeyless) v.keyless = readKeyless(a, bad);
      options.verify = v;
    }
  } else {
    for (const k of [K.verifyKey, K.verifySecretRef, ...keylessKeys]) {
      if (a[k] !== undefined) bad(k, `only with ${K.verify}: cosign`);
    }
  }
  if (a[K.verifyTrustedRootSecretRef] !== undefined && options.verify?.keyless === undefined)
    bad(
      K.verifyTrustedRootSecretRef,
      `only with keyless verification (${K.verifyIdentity}, ${K.verifyIssuer})`,
    );
  return { options, problems };
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The keyless pairs: exactly one of exact / regexp for the identity and for the issuer. */
function readKeyless(a: Record<string, string>, bad: (key: string, message: string) => void): KeylessOptions {
  const K = SELECTION_ANNOTATIONS;
  const out: KeylessOptions = {};
  const pair = (exactKey: string, regexpKey: string, what: string): [string?, string?] => {
    const exact = a[exactKey];
    const regexp = a[regexpKey];
    if (exact !== undefined && regexp !== undefined) {
      bad(regexpKey, `set ${exactKey} or ${regexpKey}, not both`);
      return [];
    }
    if (exact === undefined && regexp === undefined) {
      bad(exactKey, `keyless verification needs the certificate's ${what}: ${exactKey} or ${regexpKey}`);
      return [];
    }
    const value = (exact ?? regexp) as string;
    const key = exact !== undefined ? exactKey : regexpKey;
    if (value.length === 0 || value.length > MAX_IDENTITY_CHARS) {
      bad(key, `must be 1 to ${MAX_IDENTITY_CHARS} characters`);
      return [];
    }
    if (regexp !== undefined) {
      const problem = checkExclusionList([regexp], `metadata.annotations[${regexpKey}]`)[0];
      if (problem) {
        bad(regexpKey, problem.message);
        return [];
      }
    }
    return [exact, regexp];
  };
  const [identity, identityRegexp] = pair(K.verifyIdentity, K.verifyIdentityRegexp, "identity (SAN)");
  const [issuer, issuerRegexp] = pair(K.verifyIssuer, K.verifyIssuerRegexp, "OIDC issuer");
  if (identity !== undefined) out.identity = identity;
  if (identityRegexp !== undefined) out.identityRegexp = identityRegexp;
  if (issuer !== undefined) out.issuer = issuer;
  if (issuerRegexp !== undefined) out.issuerRegexp = issuerRegexp;
  const rootRef = a[K.verifyTrustedRootSecretRef];
  if (rootRef !== undefined) {
    if (SECRET_NAME.test(rootRef)) out.trustedRootSecretRef = rootRef;
    else bad(K.verifyTrustedRootSecretRef, `invalid secret name ${JSON.stringify(rootRef)}`);
  }
  return out;
}
