import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { startWriter, stopWriter, type Writer } from "./support/child.js";
import { tempDir } from "./support/temp.js";

const ITERATIONS = 200;

describe("two processes sharing one state file", () => {
  const tmp = tempDir();
  let writers: Writer[] = [];
  afterEach(async () => {
    await Promise.all(writers.map(stopWriter));
    writers = [];
  });
  afterAll(() => tmp.remove());

  it("write and read at the same time without SQLITE_BUSY escaping", async () => {
    const file = join(tmp.dir, "state.db");
    writers = [
      startWriter(["mixed", file, "a", String(ITERATIONS)]),
      startWriter(["mixed", file, "b", String(ITERATIONS)]),
    ];
    await Promise.all(writers.map((w) => w.waitFor("ready")));
    // Released together so their write loops overlap.
    for (const w of writers) w.child.stdin?.write("go\n");

    // This process reads while both write.
    const reader = await openSqliteStore(file);
    try {
      let since = 0;
      let seen = 0;
      while (writers.some((w) => w.child.exitCode === null)) {
        const batch = await reader.changesSince(since);
        seen += batch.changed.length;
        since = batch.resourceVersion;
        await reader.list("ImageRepository");
        await new Promise((r) => setImmediate(r));
      }
      const results = await Promise.all(writers.map((w) => w.exited));
      for (const [i, r] of results.entries()) {
        expect(r.code, writers[i]!.output()).toBe(0);
        expect(writers[i]!.output()).toContain("done");
        expect(writers[i]!.output()).not.toMatch(/SQLITE_BUSY|database is locked/);
      }
      seen += (await reader.changesSince(since)).changed.length;
      expect(seen).toBeGreaterThan(0);

      const repos = await reader.list("ImageRepository", { namespace: "crash" });
      expect(repos.map((r) => r.metadata.name)).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `a-${i}`),
        ...Array.from({ length: 10 }, (_, i) => `b-${i}`),
        "shared",
      ]);
      const events = await reader.listEvents({}, 10_000);
      expect(events.filter((e) => e.reason === "Writer-a")).toHaveLength(ITERATIONS);
      expect(events.filter((e) => e.reason === "Writer-b")).toHaveLength(ITERATIONS);
      const shared = await reader.getTags("crash", "shared");
      expect(shared?.tags).toEqual([shared?.revision]);
    } finally {
      await reader.close();
    }
  });
});
