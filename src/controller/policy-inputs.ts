/**
 * Fact-based selection for the ImagePolicy reconciler (docs/selection.md): newest pushed, minimum
 * age and cosign verification (keys, or keyless through keyless-inputs.ts). The network work happens here, before the pure engine decides:
 * candidates are ranked by src/policy, their digests and facts read from the registry (only
 * digests never seen before; verdicts and created times are cached per digest in the store),
 * and the engine's chooseWithFacts picks from plain data.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { repositoryTimeoutMs } from "../api/defaults.js";
import {
  needsImageFacts,
  pemProblem,
  readSelectionOptions,
  SELECTION_ANNOTATIONS,
  type SelectionOptions,
} from "../api/selection-annotations.js";
import type { ImagePolicy, ImageRepository } from "../api/types.js";
import {
  type Candidate,
  chooseWithFacts,
  describeVerdict,
  type FactChoice,
  type FactRules,
  needsFacts,
  type TagFacts,
} from "../policy/index.js";
import {
  ContentReader,
  keysFingerprint,
  parseImageReference,
  readCreated,
  verifyCosign,
} from "../registry/index.js";
import type { KeylessPolicy } from "../registry/keyless.js";
import type { DigestFact, Store } from "../store/store.js";
import type { ControllerDeps } from "./controller-deps.js";
import { registryOptionsFor } from "./registry-secrets.js";

/** A negative signature verdict is re-checked after this long: a signature may be pushed later. */
export const UNVERIFIED_RECHECK_MS = 10 * 60_000;
/** How soon a policy whose facts are not all read yet (read budget spent) tries again. */
export const PENDING_REQUEUE_MS = 5_000;
/** Candidates read together before the engine is asked whether it can decide already. */
const FIRST_BATCH = 4;
const MAX_BATCH = 64;

export { needsImageFacts, readSelectionOptions };

export class SelectionInputError extends Error {
  override name = "SelectionInputError";
}

/** Everything the CLI's `policy test` and the reconciler share. */
export interface FactSource {
  reader: ContentReader;
  /** Canonical image name: the cache key of digest facts. */
  image: string;
  store?: Store;
  /** tag → digest already resolved since the last scan (reconciler only). */
  resolved?: Map<string, string>;
  keys: KeyObject[];
  /** Keyless verification instead of keys. */
  keyless?: KeylessPolicy;
  now: number;
}

export interface GatherResult {
  facts: Map<string, TagFacts>;
  /** tag → digest resolved now (to remember until the next scan). */
  resolvedNow: Record<string, string>;
  /** New digests read (against the budget). */
  digestsRead: number;
  /** Whether the budget stopped the reading. */
  budgetSpent: boolean;
}

/** Parses a PEM public key cosign could have made; a problem names `where`. */
export function parsePublicKey(pem: string, where: string): KeyObject {
  const problem = pemProblem(pem);
  if (problem) throw new SelectionInputError(`${where}: ${problem}`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new SelectionInputError(`${where}: not a valid public key`);
  }
  const type = key.asymmetricKeyType;
  if (type !== "ec" && type !== "rsa" && type !== "ed25519")
    throw new SelectionInputError(
      `${where}: unsupported key type '${type}' (cosign keys are ECDSA, RSA or Ed25519)`,
    );
  return key;
}

/** PEM keys from the annotation and from the secret's `*.pub` entries. */
export async function verifyKeys(deps: Pick<ControllerDeps, "store">, obj: ImagePolicy, o: SelectionOptions) {
  const keys = (o.verify?.publicKeys ?? []).map((pem) =>
    parsePublicKey(pem, SELECTION_ANNOTATIONS.verifyKey),
  );
  const ref = o.verify?.secretRef;
  if (ref) {
    const ns = obj.metadata.namespace;
    const secret = await deps.store.getSecret(ns, ref);
    if (!secret)
      throw new SelectionInputError(
        `secret '${ns}/${ref}' not found (${SELECTION_ANNOTATIONS.verifySecretRef})`,
      );
    const found = Object.entries(secret.data).filter(([k]) => k.endsWith(".pub"));
    if (found.length === 0)
      throw new SelectionInputError(
        `secret '${ns}/${ref}' has no key ending in .pub (${SELECTION_ANNOTATIONS.verifySecretRef})`,
      );
    for (const [k, pem] of found) keys.push(parsePublicKey(pem, `secret '${ns}/${ref}' key ${k}`));
  }
  return keys;
}

function parseFact<T>(f: DigestFact | undefined): T | undefined {
  if (!f) return undefined;
  try {
    return JSON.parse(f.value) as T;
  } catch {
    return undefined; // a damaged cache row is read again
  }
}

/**
 * Reads the facts `rules` need for `ranked` candidates: for `newest` every candidate, otherwise
 * best first until the engine can decide. At most `maxReads` new digests are read.
 * @throws RegistryError when the registry fails (no verdict is invented for a read that failed).
 */
export async function gatherFacts(
  src: FactSource,
  ranked: readonly Candidate[],
  rules: FactRules,
  maxReads: number,
): Promise<GatherResult> {
  const need = needsFacts(rules);
  // Loaded only for keyless policies: @sigstore is not needed anywhere else.
  const keyless = src.keyless ? await import("../registry/keyless.js") : undefined;
  const fp =
    src.keyless && keyless
      ? `keyless:${keyless.keylessFingerprint(src.keyless)}`
      : src.keys.length
        ? `cosign:${keysFingerprint(src.keys)}`
        : "";
  const verify = (digest: string) =>
    src.keyless && keyless
      ? keyless.verifyKeyless(src.reader, digest, src.keyless)
      : verifyCosign(src.reader, digest, src.keys);
  const facts = new Map<string, TagFacts>();
  const resolvedNow: Record<string, string> = {};
  let digestsRead = 0;
  let budgetSpent = false;
  const readNow = new Map<string, Promise<TagFacts>>(); // one read per digest, however many tags

  const factsOfDigest = async (digest: string): Promise<TagFacts> => {
    const out: TagFacts = { digest, final: true };
    const created = need.created
      ? parseFact<{ createdAt?: number; reason?: string }>(
          (await src.store?.getDigestFacts(src.image, "created", [digest]))?.[digest],
        )
      : undefined;
    const cachedSig = need.signature
      ? (await src.store?.getDigestFacts(src.image, fp, [digest]))?.[digest]
      : undefined;
    const sig = parseFact<{ verified: boolean; reason?: string }>(cachedSig);
    const sigFresh =
      sig !== undefined &&
      (sig.verified || src.now - Date.parse(cachedSig?.checkedAt ?? "") < UNVERIFIED_RECHECK_MS);
    const needRead = (need.created && created === undefined) || (need.signature && !sigFresh);
    if (needRead) {
      if (digestsRead >= maxReads) {
        budgetSpent = true;
        return { digest, reason: "not read yet (read budget of this reconcile spent)" };
      }
      digestsRead++;
    }
    const checkedAt = new Date(src.now).toISOString();
    if (need.signature) {
      const v = sigFresh && sig ? sig : await verify(digest);
      if (!sigFresh)
        await src.store?.putDigestFacts(src.image, fp, { [digest]: { value: JSON.stringify(v), checkedAt } });
      out.verified = v.verified;
      if (v.reason) out.reason = v.reason;
      if (!v.verified) return out; // an unverified image's age does not matter
    }
    if (need.created) {
      const c = created ?? (await readCreated(src.reader, digest));
      if (!created)
        await src.store?.putDigestFacts(src.image, "created", {
          [digest]: { value: JSON.stringify(c), checkedAt },
        });
      if (c.createdAt !== undefined) out.createdAt = c.createdAt;
      else out.reason = c.reason ?? "the image has no created time";
    }
    return out;
  };

  const factsOfTag = async (tag: string): Promise<TagFacts> => {
    let digest = src.resolved?.get(tag);
    if (digest === undefined) {
      digest = await src.reader.tagDigest(tag);
      if (digest === undefined) return { final: true, reason: "the tag no longer exists in the registry" };
      resolvedNow[tag] = digest;
    }
    let p = readNow.get(digest);
    if (!p) {
      p = factsOfDigest(digest);
      readNow.set(digest, p);
    }
    return p;
  };

  // Best first in growing batches: with min-age or verify the winner is usually among the first
  // few candidates, and the engine is asked after each batch whether it can decide already.
  let batchSize = FIRST_BATCH;
  for (let i = 0; i < ranked.length; i += batchSize, batchSize = Math.min(batchSize * 2, MAX_BATCH)) {
    const batch = ranked.slice(i, i + batchSize);
    const got = await Promise.all(batch.map((c) => factsOfTag(c.tag)));
    for (const [j, c] of batch.entries()) facts.set(c.tag, got[j] as TagFacts);
    if (!rules.newest) {
      const soFar = chooseWithFacts(ranked.slice(0, i + batch.length), facts, rules);
      if (soFar.latest && !soFar.undetermined) break;
    }
    if (budgetSpent) break;
  }
  return { facts, resolvedNow, digestsRead, budgetSpent };
}

/** The engine's fact rules for a policy's selection options, at `now`. */
export function factRulesOf(options: SelectionOptions, now: number): FactRules {
  return {
    now,
    ...(options.newest ? { newest: true } : {}),
    ...(options.minAgeMs !== undefined ? { minAgeMs: options.minAgeMs } : {}),
    ...(options.verify ? { verify: true } : {}),
  };
}

export type FactSelection =
  | { ok: true; tag: string; choice: FactChoice; requeueAfterMs?: number }
  | { ok: false; reason: string; message: string; requeueAfterMs?: number };

/**
 * Reads facts for the candidates the engine ranked (every one, best first: the caller evaluates
 * with an unbounded `top`, off the event loop) and chooses.
 */
export async function selectByFacts(
  deps: ControllerDeps,
  obj: ImagePolicy,
  repo: ImageRepository,
  ranked: readonly Candidate[],
  tags: { scanTime: string },
  options: SelectionOptions,
): Promise<FactSelection> {
  const now = deps.now().getTime();
  const { namespace, name } = repo.metadata;
  let keys: KeyObject[] = [];
  let keyless: KeylessPolicy | undefined;
  try {
    const k = options.verify?.keyless;
    if (k) keyless = await (await import("./keyless-inputs.js")).keylessPolicyFor(deps, obj, k);
    else keys = options.verify ? await verifyKeys(deps, obj, options) : [];
  } catch (err) {
    if (err instanceof SelectionInputError)
      return { ok: false, reason: "VerificationKeyError", message: err.message };
    throw err;
  }
  const ref = parseImageReference(repo.spec.image, { insecure: repo.spec.insecure });
  const regOpts = await registryOptionsFor(deps, repo);
  const reader = new ContentReader(ref, { ...regOpts, timeoutMs: repositoryTimeoutMs(repo) });
  const known = await deps.store.getResolvedDigests(namespace, name);
  const resolved = new Map<string, string>();
  for (const [tag, r] of Object.entries(known)) if (r.scanTime === tags.scanTime) resolved.set(tag, r.digest);
  const rules = factRulesOf(options, now);
  const got = await gatherFacts(
    {
      reader,
      image: ref.canonicalName,
      store: deps.store,
      resolved,
      keys,
      ...(keyless ? { keyless } : {}),
      now,
    },
    ranked,
    rules,
    options.maxReads,
  );
  if (Object.keys(got.resolvedNow).length)
    await deps.store.putResolvedDigests(namespace, name, got.resolvedNow, tags.scanTime);
  const choice = chooseWithFacts(ranked, got.facts, rules);
  if (choice.undetermined) {
    const unknown = choice.judged.filter((j) => j.verdict.state === "unknown").length;
    return {
      ok: false,
      reason: "ImageFactsPending",
      message: `${unknown} candidate tag(s) not read yet (at most ${options.maxReads} new digests per reconcile); trying again`,
      requeueAfterMs: PENDING_REQUEUE_MS,
    };
  }
  // A tag waiting for its minimum age may win when it is old enough: come back then.
  const waits = choice.judged.flatMap((j) => (j.verdict.state === "waiting" ? [j.verdict.until - now] : []));
  const requeueAfterMs = waits.length ? Math.max(1000, Math.min(...waits)) : undefined;
  if (!choice.latest) {
    return {
      ok: false,
      reason: "NoSelectableTag",
      message: `no candidate passed the selection rules: ${summarize(choice)}`,
      ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
    };
  }
  return {
    ok: true,
    tag: choice.latest.tag,
    choice,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}

/** The first few verdicts, for status messages (never the whole list of a large repository). */
export function summarize(choice: FactChoice, max = 5): string {
  const shown = choice.judged.slice(0, max).map((j) => `${j.tag} ${describeVerdict(j.verdict)}`);
  const more = choice.judged.length - shown.length;
  return `${shown.join("; ")}${more > 0 ? ` (and ${more} more)` : ""}`;
}
