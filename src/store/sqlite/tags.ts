/**
 * Tags and digests of ImageRepository objects: `repository_tags` (one JSON blob per repository,
 * see migrations.ts for why a blob) and `repository_digests` (tag → digest rows). Both are keyed by
 * the object's row id, so two objects with different credentials never share tags and deleting
 * the object drops them.
 */
import * as z from "zod/mini";
import { checkJson, checkRow, type RowOwner, rowShape } from "../row-check.js";
import type { ScanInfo, TagSet } from "../store.js";
import type { Db, Params } from "./database.js";
import type { ObjectTable } from "./objects.js";

export const tagsRow = rowShape(() =>
  z.object({ tags: z.string(), revision: z.string(), scan_time: z.string() }),
);

/**
 * Checked element by element, so a bad tag in the middle never reaches a reconciler: 100k tags
 * measured 0.9 ms interpreted and 0.14 ms once compiled (see RowShape), against 3-4 ms for the
 * JSON.parse before it.
 */
export const tagList = rowShape(() => z.array(z.string()));

export const digestRow = rowShape(() => z.object({ tag: z.string(), digest: z.string() }));

export function owner(namespace: string, name: string): RowOwner {
  return { kind: "ImageRepository", namespace, name };
}

/** Runs inside the store's read or write transaction, like ObjectTable. */
export class TagTable {
  private readonly stmt;

  constructor(
    db: Db,
    private readonly objects: ObjectTable,
  ) {
    this.stmt = {
      upsertTags: db.prepare<Params>(
        `INSERT INTO repository_tags (object_id, tags, tag_count, revision, scan_time)
         VALUES (@id, @tags, @count, @revision, @scanTime)
         ON CONFLICT (object_id) DO UPDATE SET tags = excluded.tags, tag_count = excluded.tag_count,
           revision = excluded.revision, scan_time = excluded.scan_time`,
      ),
      dropVanishedDigests: db.prepare<[number, string]>(
        `DELETE FROM repository_digests WHERE object_id = ?
           AND tag NOT IN (SELECT value FROM json_each(?))`,
      ),
      tagsOf: db.prepare<[number], unknown>(
        "SELECT tags, revision, scan_time FROM repository_tags WHERE object_id = ?",
      ),
      upsertDigest: db.prepare<[number, string, string]>(
        `INSERT INTO repository_digests (object_id, tag, digest) VALUES (?, ?, ?)
         ON CONFLICT (object_id, tag) DO UPDATE SET digest = excluded.digest`,
      ),
      digestsOf: db.prepare<[number], unknown>(
        "SELECT tag, digest FROM repository_digests WHERE object_id = ? ORDER BY tag",
      ),
    };
  }

  private repositoryId(namespace: string, name: string): number {
    return this.objects.mustRow({ kind: "ImageRepository", namespace, name }).id;
  }

  /**
   * `blob` is the tag list as JSON and `count` its length: the caller makes the blob before the
   * write transaction, so a large list does not hold the write lock while it is serialised.
   */
  putTags(namespace: string, repository: string, blob: string, count: number, scan: ScanInfo): void {
    const id = this.repositoryId(namespace, repository);
    this.stmt.upsertTags.run({
      id,
      tags: blob,
      count,
      revision: scan.revision,
      scanTime: scan.scanTime,
    });
    this.stmt.dropVanishedDigests.run(id, blob);
  }

  getTags(namespace: string, repository: string): TagSet | undefined {
    const row = this.objects.row({ kind: "ImageRepository", namespace, name: repository });
    if (!row) return undefined;
    const raw = this.stmt.tagsOf.get(row.id);
    if (raw === undefined) return undefined;
    const from = owner(namespace, repository);
    const t = checkRow(tagsRow, raw, "repository_tags", from);
    const tags = checkJson(tagList, t.tags, "repository_tags", from, "tags");
    return { tags, revision: t.revision, scanTime: t.scan_time };
  }

  putDigests(namespace: string, repository: string, digests: Record<string, string>): void {
    const id = this.repositoryId(namespace, repository);
    for (const [tag, digest] of Object.entries(digests)) this.stmt.upsertDigest.run(id, tag, digest);
  }

  getDigests(namespace: string, repository: string): Record<string, string> {
    const row = this.objects.row({ kind: "ImageRepository", namespace, name: repository });
    const out: Record<string, string> = {};
    if (!row) return out;
    const from = owner(namespace, repository);
    for (const raw of this.stmt.digestsOf.all(row.id)) {
      const d = checkRow(digestRow, raw, "repository_digests", from);
      out[d.tag] = d.digest;
    }
    return out;
  }
}
