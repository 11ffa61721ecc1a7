/**
 * Facts about image content for fact-based selection (docs/selection.md): `digest_facts` (one
 * JSON value per image, digest and fact) and the scan after which each tag's digest was
 * resolved (`repository_digests.scan_time`). Pruning: the rules in ../digest-fact-prune.ts.
 */
import * as z from "zod/mini";
import { type FactRowSeen, holderKey, pruneVerdicts } from "../digest-fact-prune.js";
import { checkRow, rowShape } from "../row-check.js";
import type {
  DigestFact,
  DigestFactKey,
  DigestFactPruneBatch,
  DigestFactPruneResult,
  ResolvedDigest,
} from "../store.js";
import type { Db } from "./database.js";
import type { ObjectTable } from "./objects.js";
import { owner } from "./tags.js";

export const factRow = rowShape(() =>
  z.object({ digest: z.string(), value: z.string(), checked_at: z.string() }),
);
export const pruneRow = rowShape(() =>
  z.object({
    image: z.string(),
    digest: z.string(),
    fact: z.string(),
    checked_at: z.string(),
    unreferenced_since: z.nullable(z.string()),
  }),
);
export const holderRow = rowShape(() =>
  z.object({ digest: z.string(), namespace: z.string(), name: z.string() }),
);

/** Checks a batch's rows and collects who holds each digest: shared with PostgreSQL. */
export function readPruneBatch(
  rawRows: readonly unknown[],
  rawHolders: readonly unknown[],
): { rows: FactRowSeen[]; holders: Map<string, string[]> } {
  const rows = rawRows.map((raw) => {
    const r = checkRow(
      pruneRow,
      raw,
      "digest_facts",
      owner("", String((raw as { image?: unknown }).image ?? "")),
    );
    return {
      image: r.image,
      digest: r.digest,
      fact: r.fact,
      checkedAt: r.checked_at,
      unreferencedSince: r.unreferenced_since,
    };
  });
  const holders = new Map<string, string[]>();
  for (const raw of rawHolders) {
    const h = checkRow(holderRow, raw, "repository_digests", owner("", ""));
    const list = holders.get(h.digest);
    if (list) list.push(holderKey(h.namespace, h.name));
    else holders.set(h.digest, [holderKey(h.namespace, h.name)]);
  }
  return { rows, holders };
}

/** The cursor after a batch of `examined` rows out of at most `limit`. */
export function nextKey(rows: readonly FactRowSeen[], limit: number): DigestFactKey | undefined {
  const last = rows[rows.length - 1];
  return rows.length < limit || !last
    ? undefined
    : { image: last.image, digest: last.digest, fact: last.fact };
}

export const resolvedRow = rowShape(() =>
  z.object({ tag: z.string(), digest: z.string(), scan_time: z.nullable(z.string()) }),
);

/**
 * Runs inside the store's read or write transaction, like TagTable. Statements are prepared on
 * first use: a store opened with an older migration list (tests of upgrades) has no such table.
 */
export class DigestFactTable {
  #stmt: ReturnType<DigestFactTable["prepare"]> | undefined;
  #pruneStmt: ReturnType<DigestFactTable["preparePrune"]> | undefined;

  constructor(
    private readonly db: Db,
    private readonly objects: ObjectTable,
  ) {}

  private get stmt(): ReturnType<DigestFactTable["prepare"]> {
    this.#stmt ??= this.prepare();
    return this.#stmt;
  }

  private prepare() {
    const db = this.db;
    return {
      upsertFact: db.prepare<[string, string, string, string, string]>(
        `INSERT INTO digest_facts (image, digest, fact, value, checked_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (image, digest, fact) DO UPDATE SET value = excluded.value, checked_at = excluded.checked_at`,
      ),
      factsOf: db.prepare<[string, string, string], unknown>(
        `SELECT digest, value, checked_at FROM digest_facts
          WHERE image = ? AND fact = ? AND digest IN (SELECT value FROM json_each(?))`,
      ),
      upsertResolved: db.prepare<[number, string, string, string]>(
        `INSERT INTO repository_digests (object_id, tag, digest, scan_time) VALUES (?, ?, ?, ?)
         ON CONFLICT (object_id, tag) DO UPDATE SET digest = excluded.digest, scan_time = excluded.scan_time`,
      ),
      resolvedOf: db.prepare<[number], unknown>(
        "SELECT tag, digest, scan_time FROM repository_digests WHERE object_id = ?",
      ),
    };
  }

  private preparePrune() {
    const db = this.db;
    return {
      // Key order, from a cursor: each batch is one range scan of the primary key.
      batch: db.prepare<[string, string, string, number], unknown>(
        `SELECT image, digest, fact, checked_at, unreferenced_since FROM digest_facts
          WHERE (image, digest, fact) > (?, ?, ?) ORDER BY image, digest, fact LIMIT ?`,
      ),
      // repository_digests_by_digest (migration 5) answers this per digest.
      holders: db.prepare<[string], unknown>(
        `SELECT d.digest, o.namespace, o.name FROM repository_digests d JOIN objects o ON o.id = d.object_id
          WHERE d.digest IN (SELECT value FROM json_each(?))`,
      ),
      remove: db.prepare<[string, string, string]>(
        "DELETE FROM digest_facts WHERE image = ? AND digest = ? AND fact = ?",
      ),
      mark: db.prepare<[string | null, string, string, string]>(
        "UPDATE digest_facts SET unreferenced_since = ? WHERE image = ? AND digest = ? AND fact = ?",
      ),
    };
  }

  /** One batch of a pruning sweep; runs inside the store's write transaction. */
  prune(b: DigestFactPruneBatch): DigestFactPruneResult {
    this.#pruneStmt ??= this.preparePrune();
    const st = this.#pruneStmt;
    const from = b.after ?? { image: "", digest: "", fact: "" };
    const rawRows = st.batch.all(from.image, from.digest, from.fact, b.limit);
    const digests = [...new Set(rawRows.map((r) => String((r as { digest?: unknown }).digest)))];
    const { rows, holders } = readPruneBatch(rawRows, st.holders.all(JSON.stringify(digests)));
    const v = pruneVerdicts(rows, holders, b.live, Date.parse(b.now), b.retentionMs);
    for (const k of v.remove) st.remove.run(k.image, k.digest, k.fact);
    for (const k of v.mark) st.mark.run(b.now, k.image, k.digest, k.fact);
    for (const k of v.unmark) st.mark.run(null, k.image, k.digest, k.fact);
    const next = nextKey(rows, b.limit);
    return { examined: rows.length, removed: v.remove.length, ...(next ? { next } : {}) };
  }

  putFacts(image: string, fact: string, facts: Record<string, DigestFact>): void {
    for (const [digest, f] of Object.entries(facts))
      this.stmt.upsertFact.run(image, digest, fact, f.value, f.checkedAt);
  }

  getFacts(image: string, fact: string, digests: readonly string[]): Record<string, DigestFact> {
    const out: Record<string, DigestFact> = {};
    const from = owner("", image);
    for (const raw of this.stmt.factsOf.all(image, fact, JSON.stringify(digests))) {
      const r = checkRow(factRow, raw, "digest_facts", from);
      out[r.digest] = { value: r.value, checkedAt: r.checked_at };
    }
    return out;
  }

  putResolved(
    namespace: string,
    repository: string,
    digests: Record<string, string>,
    scanTime: string,
  ): void {
    const id = this.objects.mustRow({ kind: "ImageRepository", namespace, name: repository }).id;
    for (const [tag, digest] of Object.entries(digests))
      this.stmt.upsertResolved.run(id, tag, digest, scanTime);
  }

  getResolved(namespace: string, repository: string): Record<string, ResolvedDigest> {
    const row = this.objects.row({ kind: "ImageRepository", namespace, name: repository });
    const out: Record<string, ResolvedDigest> = {};
    if (!row) return out;
    const from = owner(namespace, repository);
    for (const raw of this.stmt.resolvedOf.all(row.id)) {
      const r = checkRow(resolvedRow, raw, "repository_digests", from);
      out[r.tag] = r.scan_time === null ? { digest: r.digest } : { digest: r.digest, scanTime: r.scan_time };
    }
    return out;
  }
}
