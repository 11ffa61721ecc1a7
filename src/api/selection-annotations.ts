/**
 * imagectl's selection extensions, carried as annotations on a Flux ImagePolicy so that the
 * manifest stays valid for Flux (which ignores them): natural pre-release order, newest pushed,
 * minimum age and cosign signature verification. See docs/selection.md.
 */
import { isValidDuration, parseDuration } from "./duration.js";

export const SELECTION_ANNOTATIONS = {
  prereleaseOrder: "imagectl.io/prerelease-order",
  select: "imagectl.io/select",
  minAge: "imagectl.io/min-age",
  maxReads: "imagectl.io/max-reads",
  verify: "imagectl.io/verify",
  verifyKey: "imagectl.io/verify-key",
  verifySecretRef: "imagectl.io/verify-secret-ref",
} as const;

/** Default bound on registry reads for unknown digests in one policy reconcile. */
export const DEFAULT_MAX_READS = 1000;
const MAX_READS_LIMIT = 100_000;
/** A public key in an annotation is a few hundred bytes; refuse anything far larger before parsing. */
const MAX_KEY_BYTES = 16 * 1024;

export interface VerifyOptions {
  provider: "cosign";
  /** PEM public keys given inline (`imagectl.io/verify-key`). */
  publicKeys: string[];
  /** A secret whose keys ending in `.pub` hold PEM public keys (as Flux's OCIRepository verify). */
  secretRef?: string;
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
  const key = a[K.verifyKey];
  const secretRef = a[K.verifySecretRef];
  if (verify !== undefined) {
    if (verify !== "cosign")
      bad(K.verify, `invalid value ${JSON.stringify(verify)}: the only provider is cosign`);
    else if (key === undefined && secretRef === undefined)
      bad(K.verify, `cosign verification needs ${K.verifyKey} (a PEM public key) or ${K.verifySecretRef}`);
    else {
      const v: VerifyOptions = { provider: "cosign", publicKeys: [] };
      if (key !== undefined) {
        const problem = pemProblem(key);
        if (problem) bad(K.verifyKey, problem);
        else v.publicKeys.push(key);
      }
      if (secretRef !== undefined) {
        if (/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(secretRef)) v.secretRef = secretRef;
        else bad(K.verifySecretRef, `invalid secret name ${JSON.stringify(secretRef)}`);
      }
      options.verify = v;
    }
  } else {
    for (const k of [K.verifyKey, K.verifySecretRef]) {
      if (a[k] !== undefined) bad(k, `only with ${K.verify}: cosign`);
    }
  }
  return { options, problems };
}
