/**
 * A set of manifests applied as one: every document of every file parsed and validated first (one
 * problem anywhere means nothing is applied), then one store transaction in dependency order.
 * Shared by `imagectl apply -f` and the Git source sync (source-sync.ts).
 */
import type { AnyObject, Kind } from "../api/types.js";
import type { ApplyResult, Store } from "../store/store.js";

/**
 * One manifest file: a name for messages (path, or `<stdin>`) and its bytes, decoded here so that
 * invalid UTF-8 is reported with its byte offset (src/api/input-limits.ts).
 */
export interface ManifestSource {
  name: string;
  bytes: Uint8Array;
}

/** Where an object of the set was read. */
export interface ManifestOrigin {
  source: string;
  /** 1-based document number in its file. */
  document: number;
}

export interface ManifestSet {
  objects: AnyObject[];
  /** Parallel to `objects`. */
  origins: ManifestOrigin[];
  /** Every problem, each naming file, document, object and field; empty when the set is valid. */
  problems: string[];
}

// Dependencies first: an Alert's reconcile reads its Provider; a Receiver wakes the other kinds.
export const APPLY_ORDER: readonly Kind[] = [
  "GitRepository",
  "ImageRepository",
  "ImagePolicy",
  "ImageUpdateAutomation",
  "Provider",
  "Alert",
  "Receiver",
];

/**
 * Parses and validates every document of `sources`. Documents `select` says no to are skipped
 * (a Git path also holds Deployments and Flux Kustomizations); the same object defined twice,
 * in one file or across files, is a problem.
 */
export async function readManifestSet(
  sources: readonly ManifestSource[],
  opts: { defaultNamespace: string; select?: (value: unknown) => boolean },
): Promise<ManifestSet> {
  const { INPUT_LIMITS, objectKey, parseManifestBytes, validateObject, withDefaults } = await import(
    "../api/index.js"
  );
  const set: ManifestSet = { objects: [], origins: [], problems: [] };
  const seen = new Map<string, ManifestOrigin>();
  for (const [n, src] of sources.entries()) {
    // A source sync of thousands of files runs inside the daemon: let other work in between.
    if (n > 0 && n % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    let docs: ReturnType<typeof parseManifestBytes>;
    try {
      docs = parseManifestBytes(src.bytes, src.name, {
        defaultNamespace: opts.defaultNamespace,
        ...(opts.select ? { select: opts.select } : {}),
      });
    } catch (err) {
      set.problems.push(err instanceof Error ? err.message : String(err));
      continue;
    }
    for (const d of docs) {
      const obj = d.object;
      const where = `${src.name}: document ${d.document}`;
      for (const i of validateObject(withDefaults(obj)))
        set.problems.push(`${where} (${i.object}): ${i.field}: ${i.message}`);
      const template = await templateProblem(obj);
      if (template)
        set.problems.push(`${where} (${objectKey(obj)}): spec.git.commit.messageTemplate: ${template}`);
      const key = objectKey(obj);
      const first = seen.get(key);
      if (first) {
        set.problems.push(
          `${where} (${key}): metadata.name: duplicate object: ${first.source} document ${first.document} defines it too`,
        );
        continue;
      }
      const origin = { source: src.name, document: d.document };
      seen.set(key, origin);
      set.objects.push(obj);
      set.origins.push(origin);
    }
  }
  if (set.objects.length > INPUT_LIMITS.documents)
    set.problems.push(`${set.objects.length} objects in one set; the limit is ${INPUT_LIMITS.documents}`);
  return set;
}

/**
 * A commit message template that does not parse, or uses a field Flux removed, is refused here as
 * `create image update --commit-template` refuses it (the template engine is src/update's, which
 * src/api cannot import); loaded only when a manifest has a template.
 */
async function templateProblem(obj: AnyObject): Promise<string | undefined> {
  if (obj.kind !== "ImageUpdateAutomation") return undefined;
  const template = obj.spec.git?.commit.messageTemplate;
  if (!template) return undefined;
  const { validateCommitTemplate } = await import("../update/index.js");
  try {
    validateCommitTemplate(template);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The objects in APPLY_ORDER (stable within a kind). */
export function sortForApply<T extends { kind: Kind }>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
}

/** Applies the objects in APPLY_ORDER in one store transaction; results are parallel to the returned order. */
export async function applySet(
  store: Store,
  objects: readonly AnyObject[],
): Promise<{ objects: AnyObject[]; results: ApplyResult[] }> {
  const sorted = sortForApply(objects);
  const results = sorted.length ? await store.apply(sorted) : [];
  return { objects: sorted, results };
}
