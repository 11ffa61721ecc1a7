/**
 * What keyless verification needs before selection (docs/selection.md): the identity and issuer
 * wanted (exact strings, or RE2 patterns compiled by src/policy, unanchored as cosign's
 * `--certificate-identity-regexp` and Flux's `matchOIDCIdentity` match) and the trusted root (the
 * shipped public-good root, a secret's `trusted_root.json`, or for `policy test` a file).
 * Loaded only when a policy verifies keyless, so that @sigstore stays out of every other path.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { KeylessOptions } from "../api/selection-annotations.js";
import { SELECTION_ANNOTATIONS, TRUSTED_ROOT_SECRET_KEY } from "../api/selection-annotations.js";
import type { ImagePolicy } from "../api/types.js";
import { compileGoRegex } from "../policy/index.js";
import type { IdentityMatcher, KeylessPolicy } from "../registry/keyless.js";
import {
  MAX_TRUSTED_ROOT_BYTES,
  parseTrustedRoot,
  publicGoodTrustedRoot,
  TrustedRootError,
  type TrustedRootMaterial,
} from "../registry/sigstore-trusted-root.js";
import type { ControllerDeps } from "./controller-deps.js";
import { SelectionInputError } from "./policy-inputs.js";

function matcher(exact: string | undefined, regexp: string | undefined, where: string): IdentityMatcher {
  if (exact !== undefined) return { describe: `'${exact}'`, matches: (v) => v === exact };
  if (regexp === undefined) throw new SelectionInputError(`${where}: neither a value nor a pattern`);
  const re = compileGoRegex(regexp); // validated by readSelectionOptions already
  return { describe: `regexp '${regexp}'`, matches: (v) => re.test(v) };
}

function policyOf(o: KeylessOptions, root: TrustedRootMaterial): KeylessPolicy {
  const K = SELECTION_ANNOTATIONS;
  return {
    identity: matcher(o.identity, o.identityRegexp, K.verifyIdentity),
    issuer: matcher(o.issuer, o.issuerRegexp, K.verifyIssuer),
    root,
  };
}

// Roots parsed, by source and content: a reconcile reads its secret again each time, and handing
// back the same material object lets keyless.ts reuse the Verifier it keeps per root instead of
// parsing the root's keys and certificates and building a new one on every reconcile. Bounded,
// oldest first out; a root that does not parse is not kept.
const parsedRoots = new Map<string, TrustedRootMaterial>();
const MAX_PARSED_ROOTS = 16;

function parsedRoot(text: string, source: string): TrustedRootMaterial {
  // The size limit comes before any work on the text (parseTrustedRoot refuses it).
  const key =
    text.length <= MAX_TRUSTED_ROOT_BYTES
      ? createHash("sha256").update(source).update("\n").update(text).digest("hex")
      : undefined;
  const hit = key === undefined ? undefined : parsedRoots.get(key);
  if (hit) return hit;
  let root: TrustedRootMaterial;
  try {
    root = parseTrustedRoot(text, source);
  } catch (err) {
    if (err instanceof TrustedRootError) throw new SelectionInputError(err.message);
    throw err;
  }
  if (parsedRoots.size >= MAX_PARSED_ROOTS) {
    const oldest = parsedRoots.keys().next();
    if (!oldest.done) parsedRoots.delete(oldest.value);
  }
  if (key !== undefined) parsedRoots.set(key, root);
  return root;
}

/** The reconciler's keyless policy: the root from the annotation's secret, else public-good. */
export async function keylessPolicyFor(
  deps: Pick<ControllerDeps, "store">,
  obj: ImagePolicy,
  o: KeylessOptions,
): Promise<KeylessPolicy> {
  const ref = o.trustedRootSecretRef;
  if (ref === undefined) return policyOf(o, await publicGoodTrustedRoot());
  const ns = obj.metadata.namespace;
  const where = SELECTION_ANNOTATIONS.verifyTrustedRootSecretRef;
  const secret = await deps.store.getSecret(ns, ref);
  if (!secret) throw new SelectionInputError(`secret '${ns}/${ref}' not found (${where})`);
  const text = secret.data[TRUSTED_ROOT_SECRET_KEY];
  if (text === undefined)
    throw new SelectionInputError(`secret '${ns}/${ref}' has no key ${TRUSTED_ROOT_SECRET_KEY} (${where})`);
  return policyOf(o, parsedRoot(text, `secret '${ns}/${ref}' key ${TRUSTED_ROOT_SECRET_KEY}`));
}

/** `policy test`'s keyless policy: `--trusted-root FILE`, else public-good. */
export async function keylessPolicyFromFile(
  o: KeylessOptions,
  file: string | undefined,
): Promise<KeylessPolicy> {
  if (file === undefined) return policyOf(o, await publicGoodTrustedRoot());
  let text: string;
  try {
    // The size first: a wrong path to a large file must not be read whole.
    if ((await stat(file)).size > MAX_TRUSTED_ROOT_BYTES)
      throw new SelectionInputError(
        `--trusted-root: '${file}' is larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`,
      );
    text = await readFile(file, "utf8");
  } catch (err) {
    if (err instanceof SelectionInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new SelectionInputError(`--trusted-root: cannot read '${file}' (${code})`);
  }
  return policyOf(o, parsedRoot(text, `--trusted-root '${file}'`));
}
