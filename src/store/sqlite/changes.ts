/**
 * The change feed: the `changes` table, whose AUTOINCREMENT key is the store-wide resourceVersion,
 * and the mark in `store_meta` of how far it has been pruned.
 *
 * Every object write appends a row here in the writer's transaction; the daemon follows the feed
 * with `changesSince` to pick up what the CLI changed.
 */
import * as z from "zod/mini";
import type { ObjectId } from "../../api/object-id.js";
import { KINDS } from "../../api/types.js";
import { CorruptRowError } from "../errors.js";
import { checkRow, oneOf, rowShape } from "../row-check.js";
import type { Change, ChangeBatch, ChangeType } from "../store.js";
import { type Db, pruneThrough } from "./database.js";

export const PRUNED_THROUGH_KEY = "changes_pruned_through";

export const changeRow = rowShape(() =>
  z.object({
    resourceVersion: z.int(),
    kind: z.enum(KINDS),
    namespace: z.string(),
    name: z.string(),
    type: oneOf<ChangeType>({ created: true, spec: true, metadata: true, status: true, deleted: true }),
    generation: z.int(),
  }),
);

export class ChangeFeed {
  private readonly stmt;

  constructor(
    private readonly db: Db,
    /** Rows kept; older ones are pruned and a consumer that far behind must re-list. */
    private readonly retention: number,
  ) {
    this.stmt = {
      insert: db.prepare<[string, string, string, string, number]>(
        "INSERT INTO changes (kind, namespace, name, type, generation) VALUES (?, ?, ?, ?, ?)",
      ),
      after: db.prepare<[number, number], unknown>(
        `SELECT resource_version AS resourceVersion, kind, namespace, name, type, generation
         FROM changes WHERE resource_version > ? ORDER BY resource_version LIMIT ?`,
      ),
      max: db.prepare<[], number | null>("SELECT max(resource_version) FROM changes").pluck(),
      prune: db.prepare<[number]>("DELETE FROM changes WHERE resource_version <= ?"),
      getMeta: db.prepare<[string], string>("SELECT value FROM store_meta WHERE key = ?").pluck(),
      setMeta: db.prepare<[string, string]>(
        "INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
  }

  /** Appends a change (inside the caller's write); the new row's key is the new resourceVersion. */
  record(key: ObjectId, type: ChangeType, generation: number): number {
    const rv = Number(
      this.stmt.insert.run(key.kind, key.namespace, key.name, type, generation).lastInsertRowid,
    );
    const through = pruneThrough(rv, this.retention);
    if (through !== undefined) {
      this.stmt.prune.run(through);
      this.stmt.setMeta.run(PRUNED_THROUGH_KEY, String(through));
    }
    return rv;
  }

  /** The latest resourceVersion, which pruning never lowers. */
  latest(): number {
    return Math.max(this.stmt.max.get() ?? 0, this.prunedThrough());
  }

  since(since: number, limit: number): ChangeBatch {
    // One read transaction, so the batch and the pruning mark agree.
    return this.db.transaction(() => {
      if (since < this.prunedThrough()) {
        return { resourceVersion: this.latest(), changed: [], expired: true };
      }
      const changed: Change[] = this.stmt.after.all(since, limit).map((row) => {
        const c = checkRow(changeRow, row, "changes");
        return { ...c, deleted: c.type === "deleted" };
      });
      const last = changed.at(-1);
      return { resourceVersion: last ? last.resourceVersion : since, changed, expired: false };
    })();
  }

  private prunedThrough(): number {
    const value = Number(this.stmt.getMeta.get(PRUNED_THROUGH_KEY) ?? 0);
    // NaN would make every `since` look current and the feed silently skip what was pruned.
    if (!Number.isSafeInteger(value)) {
      throw new CorruptRowError("store_meta", `key '${PRUNED_THROUGH_KEY}'`, "value", "expected an integer");
    }
    return value;
  }
}
