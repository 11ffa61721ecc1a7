import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { startWriter, stopWriter, type Writer } from "./support/child.js";
import { tempDir } from "./support/temp.js";

const REPOS = 20;
const TAGS_PER_REPO = 20_000;
const POLICIES = 500;
const KILLS = 3;

function integrityCheck(file: string): string {
  const db = new Database(file);
  try {
    return String(db.pragma("integrity_check", { simple: true }));
  } finally {
    db.close();
  }
}

describe("a writer killed with SIGKILL leaves a consistent store", () => {
  const tmp = tempDir();
  let writer: Writer | undefined;
  afterEach(async () => {
    if (writer) await stopWriter(writer);
  });
  afterAll(() => tmp.remove());

  it("holds either the old or the new tag set of every repository, never a mix", async () => {
    const file = join(tmp.dir, "tags.db");
    for (let kill = 0; kill < KILLS; kill++) {
      writer = startWriter(["tags", file, String(REPOS), String(TAGS_PER_REPO)]);
      await writer.waitFor("ready");
      // Somewhere inside the rewrite loop: most of the child's time is spent inside transactions.
      await sleep(50 + Math.floor(Math.random() * 250));
      writer.child.kill("SIGKILL");
      expect((await writer.exited).signal).toBe("SIGKILL");

      expect(integrityCheck(file)).toBe("ok");
      const store = await openSqliteStore(file);
      try {
        for (let r = 0; r < REPOS; r++) {
          const set = await store.getTags("crash", `r${r}`);
          expect(set, `r${r}`).toBeDefined();
          const round = set!.revision;
          expect(set!.tags).toHaveLength(TAGS_PER_REPO);
          expect(set!.tags.every((t, i) => t === `${round}-${i}`)).toBe(true);
        }
      } finally {
        await store.close();
      }
    }
  });

  it("keeps a many-document apply all-or-nothing", async () => {
    const file = join(tmp.dir, "apply.db");
    for (let kill = 0; kill < KILLS; kill++) {
      writer = startWriter(["apply", file, String(POLICIES)]);
      await writer.waitFor("ready");
      await sleep(50 + Math.floor(Math.random() * 250));
      writer.child.kill("SIGKILL");
      await writer.exited;

      expect(integrityCheck(file)).toBe("ok");
      const store = await openSqliteStore(file);
      try {
        const policies = await store.list("ImagePolicy", { namespace: "crash" });
        expect(policies).toHaveLength(POLICIES);
        const rounds = new Set(policies.map((p) => p.metadata.labels?.round));
        expect(rounds.size).toBe(1);
        const [round] = [...rounds];
        for (const p of policies) expect(p.spec.policy.semver?.range).toBe(`>=${round}.0.0`);
      } finally {
        await store.close();
      }
    }
  });
});
