/**
 * Keeps the per-digest fact cache (`digest_facts`, docs/selection.md "The cache") bounded: sweeps
 * it in key order, one bounded batch at a time, removing the facts of digests no repository of
 * their image resolves any more (after `FACT_RETENTION_MS`) and of images no ImageRepository
 * refers to. The rules are the store's (src/store/digest-fact-prune.ts); this module knows which
 * images are live, which the store cannot (a canonical name needs the registry's parser).
 * The daemon runs a batch now and then from its loop; `run --once` sweeps once after its phases.
 */
import { parseImageReference } from "../registry/index.js";
import type { DigestFactKey, LiveRepository, Store } from "../store/store.js";

/** A digest that comes back within a week (a rollback, a tag pushed back) is not read again. */
export const FACT_RETENTION_MS = 7 * 24 * 3_600_000;
/** Rows examined per batch (one short write transaction: ~10 ms on SQLite, see bench/fact-prune). */
export const PRUNE_BATCH_ROWS = 2000;

export interface SweepTotals {
  examined: number;
  removed: number;
  batches: number;
}

/**
 * Every ImageRepository with the canonical names its digests may belong to: the one of its spec,
 * and the one of its last scan while a changed spec has not been scanned yet.
 */
export async function liveRepositories(store: Store): Promise<LiveRepository[]> {
  const out: LiveRepository[] = [];
  for (const repo of await store.list("ImageRepository")) {
    const images = new Set<string>();
    try {
      images.add(parseImageReference(repo.spec.image, { insecure: repo.spec.insecure }).canonicalName);
    } catch {
      // An image that does not parse is stalled by its reconciler; it has no facts of its own.
    }
    const scanned = repo.status?.canonicalImageName;
    if (scanned) images.add(scanned);
    out.push({ namespace: repo.metadata.namespace, name: repo.metadata.name, images: [...images] });
  }
  return out;
}

export interface PrunerOptions {
  retentionMs?: number;
  batchRows?: number;
  now?: () => Date;
}

/** Holds a sweep's cursor between batches, so each call does a bounded amount of work. */
export class DigestFactPruner {
  private cursor: DigestFactKey | undefined;
  private readonly retentionMs: number;
  private readonly batchRows: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    opts: PrunerOptions = {},
  ) {
    this.retentionMs = opts.retentionMs ?? FACT_RETENTION_MS;
    this.batchRows = opts.batchRows ?? PRUNE_BATCH_ROWS;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * One batch. The live list is read anew for each, so a repository created or deleted during a
   * long sweep counts from its next batch on. True when the sweep reached the end of the table
   * (the next call starts a new sweep).
   */
  async step(totals?: SweepTotals): Promise<boolean> {
    const live = await liveRepositories(this.store);
    const got = await this.store.pruneDigestFacts({
      live,
      now: this.now().toISOString(),
      retentionMs: this.retentionMs,
      ...(this.cursor ? { after: this.cursor } : {}),
      limit: this.batchRows,
    });
    this.cursor = got.next;
    if (totals) {
      totals.examined += got.examined;
      totals.removed += got.removed;
      totals.batches++;
    }
    return got.next === undefined;
  }

  /** The next step starts a new sweep from the first row. */
  restart(): void {
    this.cursor = undefined;
  }

  /** A whole sweep from the first row, batch by batch (each its own transaction). */
  async sweep(): Promise<SweepTotals> {
    this.restart();
    const totals = { examined: 0, removed: 0, batches: 0 };
    while (!(await this.step(totals))) {}
    return totals;
  }
}
