/**
 * The fact cache's sweep as the daemon and `run --once` run it (src/controller/digest-fact-pruner.ts)
 * over a real SQLite store: which images count as live, a whole sweep, and the daemon's batches.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Daemon } from "../../src/controller/daemon.js";
import { DigestFactPruner, liveRepositories } from "../../src/controller/digest-fact-pruner.js";
import { runOnce } from "../../src/controller/run-once.js";
import { openStore, type Store } from "../../src/store/index.js";
import { suspendedRepository } from "../store/support/suspended-repository.js";
import { tempDir } from "../store/support/temp.js";

const DAY = 24 * 3_600_000;
const T0 = Date.parse("2026-03-01T00:00:00Z");

describe("DigestFactPruner", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(async () => {
    tmp = tempDir("imagectl-prune-");
    store = await openStore({ home: tmp.dir });
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  /** 50 digests of `image`, all resolved by `name`'s tags. */
  async function seed(name: string, image: string, prefix: string): Promise<string[]> {
    const digests = Array.from({ length: 50 }, (_, i) => `sha256:${prefix}${i}`);
    const tags = digests.map((_, i) => `v${i}`);
    const scanTime = new Date(T0).toISOString();
    await store.putTags("apps", name, tags, { revision: prefix, scanTime });
    await store.putResolvedDigests(
      "apps",
      name,
      Object.fromEntries(tags.map((t, i) => [t, digests[i] as string])),
      scanTime,
    );
    await store.putDigestFacts(
      image,
      "created",
      Object.fromEntries(digests.map((d) => [d, { value: "{}", checkedAt: scanTime }])),
    );
    return digests;
  }

  /** Repositories web and api, 50 facts each, then api deleted: its facts are the ones to sweep. */
  async function liveWebDeletedApi(): Promise<{ web: string[]; api: string[] }> {
    await store.apply([
      suspendedRepository("web", "ghcr.io/org/web"),
      suspendedRepository("api", "ghcr.io/org/api"),
    ]);
    const web = await seed("web", "ghcr.io/org/web", "w");
    const api = await seed("api", "ghcr.io/org/api", "a");
    await store.delete("ImageRepository", "apps", "api");
    return { web, api };
  }

  it("names each repository's image as the registry client canonicalises it, and the scanned one", async () => {
    await store.apply([
      suspendedRepository("web", "nginx"),
      suspendedRepository("api", "ghcr.io/org/api"),
      suspendedRepository("bad", "Not An Image"),
    ]);
    await store.updateStatus("ImageRepository", "apps", "api", { canonicalImageName: "ghcr.io/org/old-api" });
    const live = await liveRepositories(store);
    expect(live).toEqual(
      expect.arrayContaining([
        { namespace: "apps", name: "web", images: ["index.docker.io/library/nginx"] },
        { namespace: "apps", name: "api", images: ["ghcr.io/org/api", "ghcr.io/org/old-api"] },
        { namespace: "apps", name: "bad", images: [] },
      ]),
    );
  });

  it("sweeps in batches: a deleted repository's facts go, a live one's stay", async () => {
    const { web, api } = await liveWebDeletedApi();
    const pruner = new DigestFactPruner(store, { batchRows: 16, now: () => new Date(T0 + DAY) });
    expect(await pruner.sweep()).toEqual({ examined: 100, removed: 50, batches: 7 });
    expect(Object.keys(await store.getDigestFacts("ghcr.io/org/web", "created", web))).toHaveLength(50);
    expect(await store.getDigestFacts("ghcr.io/org/api", "created", api)).toEqual({});
  });

  it("runs from the daemon's loop once start-up is over, a batch at a time", async () => {
    const { api } = await liveWebDeletedApi();
    const errors: unknown[] = [];
    const daemon = new Daemon(
      { store, home: tmp.dir, now: () => new Date(T0 + DAY) },
      {
        factPruning: { firstAfterMs: 1000, everyMs: 3_600_000, pauseMs: 20 },
        onError: (_k, e) => errors.push(e),
      },
    );
    await daemon.start();
    try {
      // Still there right after start: the first sweep waits for start-up to be over.
      expect(Object.keys(await store.getDigestFacts("ghcr.io/org/api", "created", api))).toHaveLength(50);
      await expect
        .poll(async () => Object.keys(await store.getDigestFacts("ghcr.io/org/api", "created", api)).length, {
          timeout: 5000,
        })
        .toBe(0);
    } finally {
      await daemon.stop();
    }
    expect(errors).toEqual([]);
  });

  it("is swept once by run --once, after its phases", async () => {
    const { web, api } = await liveWebDeletedApi();
    const summary = await runOnce({ store, home: tmp.dir, now: () => new Date(T0 + DAY) });
    expect(summary.factSweep).toEqual({ examined: 100, removed: 50, batches: 1 });
    expect(summary.entries.map((e) => e.outcome.suspended)).toEqual([true]);
    expect(await store.getDigestFacts("ghcr.io/org/api", "created", api)).toEqual({});
    expect(Object.keys(await store.getDigestFacts("ghcr.io/org/web", "created", web))).toHaveLength(50);
  });
});
