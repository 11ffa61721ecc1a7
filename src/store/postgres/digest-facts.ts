/**
 * Facts about image content for fact-based selection on PostgreSQL, as sqlite/digest-facts.ts:
 * `digest_facts` (one JSON value per image, digest and fact) and the scan after which each tag's
 * digest was resolved (`repository_digests.scan_time`). Shares its row checks with SQLite's.
 */
import { pruneVerdicts } from "../digest-fact-prune.js";
import { checkRow } from "../row-check.js";
import { factRow, nextKey, readPruneBatch, resolvedRow } from "../sqlite/digest-facts.js";
import { owner } from "../sqlite/tags.js";
import type {
  DigestFact,
  DigestFactKey,
  DigestFactPruneBatch,
  DigestFactPruneResult,
  ResolvedDigest,
} from "../store.js";
import type { Sql } from "./database.js";
import type { ObjectTable } from "./objects.js";

export class DigestFactTable {
  constructor(private readonly objects: ObjectTable) {}

  async putFacts(sql: Sql, image: string, fact: string, facts: Record<string, DigestFact>): Promise<void> {
    const entries = Object.entries(facts);
    if (entries.length === 0) return;
    await sql.rows(
      `INSERT INTO digest_facts (image, digest, fact, value, checked_at)
       SELECT $1, d, $2, v, c FROM unnest($3::text[], $4::text[], $5::text[]) AS u(d, v, c)
       ON CONFLICT (image, digest, fact) DO UPDATE SET value = excluded.value, checked_at = excluded.checked_at`,
      [
        image,
        fact,
        entries.map(([d]) => d),
        entries.map(([, f]) => f.value),
        entries.map(([, f]) => f.checkedAt),
      ],
    );
  }

  async getFacts(
    sql: Sql,
    image: string,
    fact: string,
    digests: readonly string[],
  ): Promise<Record<string, DigestFact>> {
    const out: Record<string, DigestFact> = {};
    if (digests.length === 0) return out;
    const rows = await sql.rows(
      `SELECT digest, value, checked_at FROM digest_facts
        WHERE image = $1 AND fact = $2 AND digest = ANY($3::text[])`,
      [image, fact, digests],
    );
    const from = owner("", image);
    for (const raw of rows) {
      const r = checkRow(factRow, raw, "digest_facts", from);
      out[r.digest] = { value: r.value, checkedAt: r.checked_at };
    }
    return out;
  }

  /** One batch of a pruning sweep (rules in ../digest-fact-prune.ts), inside a transaction. */
  async prune(sql: Sql, b: DigestFactPruneBatch): Promise<DigestFactPruneResult> {
    const from = b.after ?? { image: "", digest: "", fact: "" };
    const rawRows = await sql.rows(
      `SELECT image, digest, fact, checked_at, unreferenced_since FROM digest_facts
        WHERE (image, digest, fact) > ($1, $2, $3) ORDER BY image, digest, fact LIMIT $4`,
      [from.image, from.digest, from.fact, b.limit],
    );
    const digests = [...new Set(rawRows.map((r) => String((r as { digest?: unknown }).digest)))];
    const rawHolders = digests.length
      ? await sql.rows(
          `SELECT d.digest, o.namespace, o.name FROM repository_digests d JOIN objects o ON o.id = d.object_id
            WHERE d.digest = ANY($1::text[])`,
          [digests],
        )
      : [];
    const { rows, holders } = readPruneBatch(rawRows, rawHolders);
    const v = pruneVerdicts(rows, holders, b.live, Date.parse(b.now), b.retentionMs);
    const cols = (keys: DigestFactKey[]) => [
      keys.map((k) => k.image),
      keys.map((k) => k.digest),
      keys.map((k) => k.fact),
    ];
    const match = `unnest($1::text[], $2::text[], $3::text[]) AS u(i, d, f)
      WHERE t.image = u.i AND t.digest = u.d AND t.fact = u.f`;
    if (v.remove.length) await sql.rows(`DELETE FROM digest_facts t USING ${match}`, cols(v.remove));
    if (v.mark.length)
      await sql.rows(`UPDATE digest_facts t SET unreferenced_since = $4 FROM ${match}`, [
        ...cols(v.mark),
        b.now,
      ]);
    if (v.unmark.length)
      await sql.rows(`UPDATE digest_facts t SET unreferenced_since = NULL FROM ${match}`, cols(v.unmark));
    const next = nextKey(rows, b.limit);
    return { examined: rows.length, removed: v.remove.length, ...(next ? { next } : {}) };
  }

  async putResolved(
    sql: Sql,
    namespace: string,
    repository: string,
    digests: Record<string, string>,
    scanTime: string,
  ): Promise<void> {
    const entries = Object.entries(digests);
    if (entries.length === 0) return;
    const id = (await this.objects.mustRow(sql, { kind: "ImageRepository", namespace, name: repository })).id;
    await sql.rows(
      `INSERT INTO repository_digests (object_id, tag, digest, scan_time)
       SELECT $1, t, d, $4 FROM unnest($2::text[], $3::text[]) AS u(t, d)
       ON CONFLICT (object_id, tag) DO UPDATE SET digest = excluded.digest, scan_time = excluded.scan_time`,
      [id, entries.map(([t]) => t), entries.map(([, d]) => d), scanTime],
    );
  }

  async getResolved(
    sql: Sql,
    namespace: string,
    repository: string,
  ): Promise<Record<string, ResolvedDigest>> {
    const rows = await sql.rows(
      `SELECT d.tag, d.digest, d.scan_time FROM objects o JOIN repository_digests d ON d.object_id = o.id
       WHERE o.kind = 'ImageRepository' AND o.namespace = $1 AND o.name = $2`,
      [namespace, repository],
    );
    const out: Record<string, ResolvedDigest> = {};
    const from = owner(namespace, repository);
    for (const raw of rows) {
      const r = checkRow(resolvedRow, raw, "repository_digests", from);
      out[r.tag] = r.scan_time === null ? { digest: r.digest } : { digest: r.digest, scanTime: r.scan_time };
    }
    return out;
  }
}
