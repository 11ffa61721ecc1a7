/**
 * Tags and digests of ImageRepository objects on PostgreSQL: `repository_tags` (one JSON text per
 * repository, as in SQLite: see sqlite/migrations.ts for why a blob) and `repository_digests`,
 * both keyed by the object's row id. Shares its row checks with sqlite/tags.ts.
 */
import { checkJson, checkRow } from "../row-check.js";
import { digestRow, owner, tagList, tagsRow } from "../sqlite/tags.js";
import type { ScanInfo, TagSet } from "../store.js";
import type { Sql } from "./database.js";
import type { ObjectTable } from "./objects.js";

export class TagTable {
  constructor(private readonly objects: ObjectTable) {}

  private async repositoryId(sql: Sql, namespace: string, name: string): Promise<number> {
    return (await this.objects.mustRow(sql, { kind: "ImageRepository", namespace, name })).id;
  }

  /** `blob` is the tag list as JSON, made by the caller before the transaction. */
  async putTags(
    sql: Sql,
    namespace: string,
    repository: string,
    blob: string,
    tags: readonly string[],
    scan: ScanInfo,
  ): Promise<void> {
    const id = await this.repositoryId(sql, namespace, repository);
    await sql.rows(
      `INSERT INTO repository_tags (object_id, tags, tag_count, revision, scan_time)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (object_id) DO UPDATE SET tags = excluded.tags, tag_count = excluded.tag_count,
         revision = excluded.revision, scan_time = excluded.scan_time`,
      [id, blob, tags.length, scan.revision, scan.scanTime],
    );
    await sql.rows("DELETE FROM repository_digests WHERE object_id = $1 AND NOT (tag = ANY($2::text[]))", [
      id,
      tags,
    ]);
  }

  async getTags(sql: Sql, namespace: string, repository: string): Promise<TagSet | undefined> {
    // One statement: the object and its tags from one snapshot.
    const [raw] = await sql.rows(
      `SELECT t.tags, t.revision, t.scan_time FROM objects o JOIN repository_tags t ON t.object_id = o.id
       WHERE o.kind = 'ImageRepository' AND o.namespace = $1 AND o.name = $2`,
      [namespace, repository],
    );
    if (raw === undefined) return undefined;
    const from = owner(namespace, repository);
    const t = checkRow(tagsRow, raw, "repository_tags", from);
    const tags = checkJson(tagList, t.tags, "repository_tags", from, "tags");
    return { tags, revision: t.revision, scanTime: t.scan_time };
  }

  async putDigests(
    sql: Sql,
    namespace: string,
    repository: string,
    digests: Record<string, string>,
  ): Promise<void> {
    const id = await this.repositoryId(sql, namespace, repository);
    const entries = Object.entries(digests);
    if (entries.length === 0) return;
    await sql.rows(
      `INSERT INTO repository_digests (object_id, tag, digest)
       SELECT $1, t, d FROM unnest($2::text[], $3::text[]) AS u(t, d)
       ON CONFLICT (object_id, tag) DO UPDATE SET digest = excluded.digest`,
      [id, entries.map(([t]) => t), entries.map(([, d]) => d)],
    );
  }

  async getDigests(sql: Sql, namespace: string, repository: string): Promise<Record<string, string>> {
    const rows = await sql.rows(
      `SELECT d.tag, d.digest FROM objects o JOIN repository_digests d ON d.object_id = o.id
       WHERE o.kind = 'ImageRepository' AND o.namespace = $1 AND o.name = $2 ORDER BY d.tag`,
      [namespace, repository],
    );
    const out: Record<string, string> = {};
    const from = owner(namespace, repository);
    for (const raw of rows) {
      const d = checkRow(digestRow, raw, "repository_digests", from);
      out[d.tag] = d.digest;
    }
    return out;
  }
}
