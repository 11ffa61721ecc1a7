/**
 * The Store contract's secrets, events, runs and change feed (contract.ts has objects and tags;
 * describeStoreContract runs both).
 */
import { describe, expect, it } from "vitest";
import { REDACTED, redact, type Store, StoreError } from "../../src/store/index.js";
import { repo } from "./contract.js";
import { freshStorePerTest, type StoreHandle } from "./support/store-fixture.js";

const SCAN = { revision: "sha256:aaa", scanTime: "2026-01-01T00:00:00Z" };

export function describeRecordsContract(backend: string, makeStore: () => Promise<StoreHandle>): void {
  describe(`Store contract (records): ${backend}`, () => {
    let store: Store;
    freshStorePerTest(makeStore, (s) => {
      store = s;
    });

    describe("secrets", () => {
      const password = "s3cr3t-Pa55";

      it("round-trips a secret and lists only names, types and keys", async () => {
        await store.putSecret("flux-system", "creds", {
          type: "kubernetes.io/basic-auth",
          data: { username: "bot", password },
        });
        const got = await store.getSecret("flux-system", "creds");
        expect(got?.data).toEqual({ username: "bot", password });
        expect(got?.type).toBe("kubernetes.io/basic-auth");
        const list = await store.listSecrets();
        expect(list).toEqual([
          expect.objectContaining({
            namespace: "flux-system",
            name: "creds",
            keys: ["password", "username"],
          }),
        ]);
        expect(JSON.stringify(list)).not.toContain(password);
        expect(await store.listSecrets("other")).toEqual([]);
      });

      it("defaults the type to Opaque, replaces on put and deletes", async () => {
        await store.putSecret("flux-system", "git", { data: { identity: "old" } });
        await store.putSecret("flux-system", "git", { data: { identity: "new" } });
        const got = await store.getSecret("flux-system", "git");
        expect(got).toMatchObject({ type: "Opaque", data: { identity: "new" } });
        expect(await store.deleteSecret("flux-system", "git")).toBe(true);
        expect(await store.deleteSecret("flux-system", "git")).toBe(false);
        expect(await store.getSecret("flux-system", "git")).toBeUndefined();
      });

      it("redacts every value for display", async () => {
        await store.putSecret("flux-system", "creds", { data: { password } });
        const shown = redact((await store.getSecret("flux-system", "creds"))!);
        expect(shown.data).toEqual({ password: REDACTED });
        expect(JSON.stringify(shown)).not.toContain(password);
      });

      it("keeps values out of error messages", async () => {
        const bad = { password, token: 42 } as unknown as Record<string, string>;
        const err = await store.putSecret("flux-system", "creds", { data: bad }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as Error).message).toContain("data.token");
        expect((err as Error).message).not.toContain(password);
        expect((err as Error).message).not.toContain("42");
      });
    });

    describe("events and runs", () => {
      it("lists events newest first and folds identical consecutive ones", async () => {
        const base = {
          kind: "ImagePolicy" as const,
          namespace: "flux-system",
          name: "vote",
          type: "Normal" as const,
        };
        await store.recordEvent({
          ...base,
          reason: "Succeeded",
          message: "latest 1.0.0",
          at: "2026-01-01T00:00:00Z",
        });
        await store.recordEvent({
          ...base,
          reason: "Succeeded",
          message: "latest 1.0.0",
          at: "2026-01-01T00:01:00Z",
        });
        await store.recordEvent({
          ...base,
          type: "Warning",
          reason: "Failed",
          message: "no tags",
          at: "2026-01-01T00:02:00Z",
        });
        await store.recordEvent({
          ...base,
          name: "other",
          reason: "Succeeded",
          message: "x",
          at: "2026-01-01T00:03:00Z",
        });
        const events = await store.listEvents({
          kind: "ImagePolicy",
          namespace: "flux-system",
          name: "vote",
        });
        expect(events.map((e) => [e.reason, e.count])).toEqual([
          ["Failed", 1],
          ["Succeeded", 2],
        ]);
        expect(events[1]).toMatchObject({ firstAt: "2026-01-01T00:00:00Z", lastAt: "2026-01-01T00:01:00Z" });
        expect(await store.listEvents({}, 1)).toHaveLength(1);
      });

      it("records automation runs with their changes", async () => {
        const run = {
          namespace: "flux-system",
          name: "auto",
          startedAt: "2026-01-01T00:00:00Z",
          finishedAt: "2026-01-01T00:00:02Z",
          outcome: "pushed" as const,
          commit: "0123456789abcdef0123456789abcdef01234567",
          branch: "main",
          message: "Update images",
          changes: [{ file: "app.yaml", setter: "flux-system:vote", oldValue: "a:1", newValue: "a:2" }],
        };
        const id1 = await store.recordRun(run);
        const id2 = await store.recordRun({
          ...run,
          outcome: "unchanged",
          commit: undefined,
          changes: undefined,
        });
        expect(id2).toBeGreaterThan(id1);
        const runs = await store.listRuns({ namespace: "flux-system", name: "auto" });
        expect(runs.map((r) => r.outcome)).toEqual(["unchanged", "pushed"]);
        expect(runs[1]).toMatchObject({ ...run, id: id1 });
        expect(runs[0]?.changes).toEqual([]);
        expect(await store.listRuns({ name: "nope" })).toEqual([]);
      });
    });

    describe("change feed", () => {
      it("reports every object change in order, with the type of change", async () => {
        const start = await store.currentResourceVersion();
        await store.apply([repo("app", "ghcr.io/org/app")]);
        await store.apply([repo("app", "ghcr.io/org/app2")]);
        await store.requestReconcile("ImageRepository", "flux-system", "app", "2026-01-01T00:00:00Z");
        await store.updateStatus("ImageRepository", "flux-system", "app", { observedGeneration: 2 });
        await store.putTags("flux-system", "app", ["1"], SCAN);
        await store.delete("ImageRepository", "flux-system", "app");
        const batch = await store.changesSince(start);
        expect(batch.expired).toBe(false);
        expect(batch.changed.map((c) => [c.type, c.generation, c.deleted])).toEqual([
          ["created", 1, false],
          ["spec", 2, false],
          ["metadata", 2, false],
          ["status", 2, false],
          ["deleted", 0, true],
        ]);
        const rvs = batch.changed.map((c) => c.resourceVersion);
        expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
        expect(batch.resourceVersion).toBe(rvs.at(-1));
        expect(await store.currentResourceVersion()).toBe(batch.resourceVersion);
        const none = await store.changesSince(batch.resourceVersion);
        expect(none).toEqual({ resourceVersion: batch.resourceVersion, changed: [], expired: false });
      });

      it("pages with a limit", async () => {
        const start = await store.currentResourceVersion();
        await store.apply([repo("a", "x/a"), repo("b", "x/b"), repo("c", "x/c")]);
        const first = await store.changesSince(start, 2);
        expect(first.changed.map((c) => c.name)).toEqual(["a", "b"]);
        const rest = await store.changesSince(first.resourceVersion, 2);
        expect(rest.changed.map((c) => c.name)).toEqual(["c"]);
      });
    });
  });
}
