/**
 * Which `digest_facts` rows a pruning batch removes (docs/selection.md, "The cache"). Both stores
 * read a batch of rows with the repositories whose resolved digests hold each row's digest, ask
 * `pruneVerdicts`, and apply the answer in the same transaction, so the rules live here once.
 *
 * - A row whose image no ImageRepository refers to any more (repository deleted, or its image
 *   changed) goes, unless it was written in the last `IMAGE_GRACE_MS`: the live list is taken just
 *   before the batch, and a repository created meanwhile may already have had facts read.
 * - A row whose digest no repository of its image resolves any more (the tag moved or vanished) is
 *   marked with the time it was first seen so, and goes once it has stayed so for the retention:
 *   a digest that comes back within it (a tag pushed back, a rollback) is not read again.
 * - A marked row whose digest is resolved again loses its mark.
 */
import type { DigestFactKey, LiveRepository } from "./store.js";

export const IMAGE_GRACE_MS = 10 * 60_000;

export interface FactRowSeen extends DigestFactKey {
  checkedAt: string;
  unreferencedSince: string | null;
}

/** Repositories holding a digest, as `namespace` + NUL + `name` (NUL is in no object name). */
export type DigestHolders = ReadonlyMap<string, readonly string[]>;

export interface PruneVerdicts {
  remove: DigestFactKey[];
  mark: DigestFactKey[];
  unmark: DigestFactKey[];
}

export function holderKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** image → the repositories (holder keys) whose resolved digests count for it. */
function repositoriesByImage(live: readonly LiveRepository[]): Map<string, Set<string>> {
  const byImage = new Map<string, Set<string>>();
  for (const r of live) {
    for (const image of r.images) {
      const set = byImage.get(image) ?? new Set<string>();
      set.add(holderKey(r.namespace, r.name));
      byImage.set(image, set);
    }
  }
  return byImage;
}

/** Older than `ms` at `nowMs`; a time that does not parse counts as old (damage is not kept). */
function olderThan(at: string, nowMs: number, ms: number): boolean {
  const t = Date.parse(at);
  return Number.isNaN(t) || nowMs - t >= ms;
}

export function pruneVerdicts(
  rows: readonly FactRowSeen[],
  holders: DigestHolders,
  live: readonly LiveRepository[],
  nowMs: number,
  retentionMs: number,
): PruneVerdicts {
  const byImage = repositoriesByImage(live);
  const out: PruneVerdicts = { remove: [], mark: [], unmark: [] };
  for (const row of rows) {
    const key = { image: row.image, digest: row.digest, fact: row.fact };
    const repos = byImage.get(row.image);
    if (!repos) {
      if (olderThan(row.checkedAt, nowMs, IMAGE_GRACE_MS)) out.remove.push(key);
      continue;
    }
    const referenced = (holders.get(row.digest) ?? []).some((h) => repos.has(h));
    if (referenced) {
      if (row.unreferencedSince !== null) out.unmark.push(key);
    } else if (row.unreferencedSince === null) out.mark.push(key);
    else if (olderThan(row.unreferencedSince, nowMs, retentionMs)) out.remove.push(key);
  }
  return out;
}
