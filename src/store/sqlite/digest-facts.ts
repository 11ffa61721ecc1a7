/**
 * Facts about image content for fact-based selection (docs/selection.md): `digest_facts` (one
 * JSON value per image, digest and fact) and the scan after which each tag's digest was
 * resolved (`repository_digests.scan_time`).
 */
import * as z from "zod/mini";
import { checkRow, rowShape } from "../row-check.js";
import type { DigestFact, ResolvedDigest } from "../store.js";
import type { Db } from "./database.js";
import type { ObjectTable } from "./objects.js";

export const factRow = rowShape(() =>
  z.object({ digest: z.string(), value: z.string(), checked_at: z.string() }),
);
export const resolvedRow = rowShape(() =>
  z.object({ tag: z.string(), digest: z.string(), scan_time: z.nullable(z.string()) }),
);

/** Runs inside the store's read or write transaction, like TagTable. */
export class DigestFactTable {
  private prepared: ReturnType<typeof prepareStatements> | undefined;

  constructor(
    private readonly db: Db,
    private readonly objects: ObjectTable,
  ) {}

  /**
   * Prepared on first use: the tables come with migration 4, and a store opened on purpose at an
   * older schema (the migration tests do) must still open.
   */
  private get stmt(): ReturnType<typeof prepareStatements> {
    this.prepared ??= prepareStatements(this.db);
    return this.prepared;
  }

  putFacts(image: string, fact: string, facts: Record<string, DigestFact>): void {
    for (const [digest, f] of Object.entries(facts))
      this.stmt.upsertFact.run(image, digest, fact, f.value, f.checkedAt);
  }

  getFacts(image: string, fact: string, digests: readonly string[]): Record<string, DigestFact> {
    const out: Record<string, DigestFact> = {};
    const from = { kind: "ImageRepository" as const, namespace: "", name: image };
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
    const from = { kind: "ImageRepository" as const, namespace, name: repository };
    for (const raw of this.stmt.resolvedOf.all(row.id)) {
      const r = checkRow(resolvedRow, raw, "repository_digests", from);
      out[r.tag] = r.scan_time === null ? { digest: r.digest } : { digest: r.digest, scanTime: r.scan_time };
    }
    return out;
  }
}

function prepareStatements(db: Db) {
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
