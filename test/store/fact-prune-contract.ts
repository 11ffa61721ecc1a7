/**
 * Pruning of the per-digest fact cache (`pruneDigestFacts`), the same on every backend: called by
 * sqlite-contract.test.ts and postgres-contract.test.ts with a fresh store per test.
 */
import { describe, expect, it } from "vitest";
import type { DigestFactPruneResult, LiveRepository, Store } from "../../src/store/index.js";
import { repo } from "./contract.js";
import { freshStorePerTest, type StoreHandle } from "./support/store-fixture.js";

const DAY = 24 * 3_600_000;
const RETENTION = 7 * DAY;
const T0 = Date.parse("2026-03-01T00:00:00Z");
const at = (ms: number) => new Date(ms).toISOString();
const digest = (prefix: string, i: number) => `sha256:${prefix}${String(i).padStart(6, "0")}`;

interface SweepRun {
  removed: number;
  batches: DigestFactPruneResult[];
}

/** One whole sweep in batches of `limit`, as the daemon's pruner walks it. */
async function sweep(store: Store, live: LiveRepository[], nowMs: number, limit: number): Promise<SweepRun> {
  const batches: DigestFactPruneResult[] = [];
  let after: DigestFactPruneResult["next"];
  do {
    const got = await store.pruneDigestFacts({
      live,
      now: at(nowMs),
      retentionMs: RETENTION,
      limit,
      ...(after ? { after } : {}),
    });
    batches.push(got);
    after = got.next;
  } while (after);
  return { removed: batches.reduce((n, b) => n + b.removed, 0), batches };
}

async function known(store: Store, image: string, fact: string, digests: string[]): Promise<number> {
  return Object.keys(await store.getDigestFacts(image, fact, digests)).length;
}

export function describeFactPruneContract(backend: string, makeStore: () => Promise<StoreHandle>): void {
  describe(`Store contract: ${backend}: pruning the image fact cache`, () => {
    let store: Store;
    freshStorePerTest(makeStore, (s) => {
      store = s;
    });

    const A = "ghcr.io/org/a";
    const B = "ghcr.io/org/b";
    const live = (...repos: [string, string][]): LiveRepository[] =>
      repos.map(([name, image]) => ({ namespace: "flux-system", name, images: [image] }));

    /** `n` tags of `name`, tag i at digest(prefix, i), resolved after a scan, with both facts. */
    async function seed(name: string, image: string, prefix: string, n: number, checkedAt: string) {
      const tags = Array.from({ length: n }, (_, i) => `t${i}`);
      const scan = { revision: `sha256:${prefix}`, scanTime: checkedAt };
      await store.putTags("flux-system", name, tags, scan);
      await store.putResolvedDigests(
        "flux-system",
        name,
        Object.fromEntries(tags.map((t, i) => [t, digest(prefix, i)])),
        scan.scanTime,
      );
      for (const fact of ["created", "cosign:abc"]) {
        await store.putDigestFacts(
          image,
          fact,
          Object.fromEntries(tags.map((_, i) => [digest(prefix, i), { value: "{}", checkedAt }])),
        );
      }
      return tags;
    }

    it("removes facts of vanished tags after the retention and keeps the live ones, in bounded batches", async () => {
      await store.apply([repo("a", A), repo("b", B)]);
      const tagsA = await seed("a", A, "a", 3000, at(T0));
      await seed("b", B, "b", 1000, at(T0));
      const allA = tagsA.map((_, i) => digest("a", i));

      // Everything referenced: nothing goes, and no batch examines more than its limit (a full
      // last batch is followed by an empty one, which ends the sweep).
      const first = await sweep(store, live(["a", A], ["b", B]), T0 + DAY, 1000);
      expect(first.removed).toBe(0);
      expect(first.batches.map((b) => b.examined)).toEqual([
        1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 0,
      ]);
      expect(first.batches.at(-1)?.next).toBe(undefined);

      // 2,000 of a's tags vanish from the registry (the scan drops their resolved digests).
      await store.putTags("flux-system", "a", tagsA.slice(0, 1000), {
        revision: "r2",
        scanTime: at(T0 + DAY),
      });
      // Within the retention they stay (marked as unreferenced from this sweep on)...
      expect((await sweep(store, live(["a", A], ["b", B]), T0 + 2 * DAY, 1000)).removed).toBe(0);
      expect(await known(store, A, "created", allA)).toBe(3000);
      // ...and one comes back before the retention is over (tag pushed back): it keeps its facts.
      await store.putTags("flux-system", "a", [...tagsA.slice(0, 1000), "back"], {
        revision: "r3",
        scanTime: at(T0 + 3 * DAY),
      });
      await store.putResolvedDigests("flux-system", "a", { back: digest("a", 2999) }, at(T0 + 3 * DAY));
      expect((await sweep(store, live(["a", A], ["b", B]), T0 + 4 * DAY, 1000)).removed).toBe(0);

      // Seven days after they were first found unreferenced, the others go: 1,999 digests x 2 facts.
      const late = await sweep(store, live(["a", A], ["b", B]), T0 + 9 * DAY + 1, 1000);
      expect(late.removed).toBe(1999 * 2);
      expect(await known(store, A, "created", allA)).toBe(1001);
      expect(await known(store, A, "cosign:abc", allA.slice(0, 1000))).toBe(1000);
      expect(await known(store, A, "created", [digest("a", 2999)])).toBe(1);
      expect(
        await known(
          store,
          B,
          "created",
          Array.from({ length: 1000 }, (_, i) => digest("b", i)),
        ),
      ).toBe(1000);
      // A later sweep finds nothing more to do.
      expect((await sweep(store, live(["a", A], ["b", B]), T0 + 30 * DAY, 1000)).removed).toBe(0);
    });

    it("removes every fact of an image no repository refers to any more, except just-written ones", async () => {
      await store.apply([repo("a", A), repo("b", B), repo("a2", A)]);
      await seed("a", A, "a", 300, at(T0));
      await seed("a2", A, "c", 100, at(T0));
      await seed("b", B, "b", 200, at(T0));
      // Facts read a minute ago for an image whose repository is being created as the sweep runs.
      await store.putDigestFacts("ghcr.io/org/new", "created", {
        "sha256:n": { value: "{}", checkedAt: at(T0 + DAY - 60_000) },
      });

      expect(await store.delete("ImageRepository", "flux-system", "b")).toBe(true);
      expect(await store.delete("ImageRepository", "flux-system", "a")).toBe(true);
      const got = await sweep(store, live(["a2", A]), T0 + DAY, 128);
      // b's image has no repository: all 400 rows go at once. a's digests are now held by no
      // repository of image A (a2 holds other digests): marked, gone only after the retention.
      expect(got.removed).toBe(400);
      expect(
        await known(
          store,
          B,
          "created",
          Array.from({ length: 200 }, (_, i) => digest("b", i)),
        ),
      ).toBe(0);
      expect(
        await known(
          store,
          A,
          "created",
          Array.from({ length: 300 }, (_, i) => digest("a", i)),
        ),
      ).toBe(300);
      expect(await known(store, "ghcr.io/org/new", "created", ["sha256:n"])).toBe(1);

      const later = await sweep(store, live(["a2", A]), T0 + 9 * DAY, 128);
      expect(later.removed).toBe(600 + 1);
      expect(
        await known(
          store,
          A,
          "created",
          Array.from({ length: 100 }, (_, i) => digest("c", i)),
        ),
      ).toBe(100);
      expect(
        await known(
          store,
          A,
          "cosign:abc",
          Array.from({ length: 100 }, (_, i) => digest("c", i)),
        ),
      ).toBe(100);
    });

    it("counts a digest as referenced only by a repository of the same image", async () => {
      await store.apply([repo("a", A), repo("b", B)]);
      await seed("b", B, "x", 10, at(T0));
      // The same content under image A, which resolves none of these digests.
      await store.putDigestFacts(A, "created", { [digest("x", 0)]: { value: "{}", checkedAt: at(T0) } });
      await sweep(store, live(["a", A], ["b", B]), T0, 100);
      expect((await sweep(store, live(["a", A], ["b", B]), T0 + 8 * DAY, 100)).removed).toBe(1);
      expect(await known(store, B, "created", [digest("x", 0)])).toBe(1);
    });
  });
}
