/**
 * Behaviour every Store backend must show. A backend's test file calls
 * `describeStoreContract("name", factory)`; the factory returns a fresh, empty store per test.
 * Objects and tags are here; secrets, events, runs and the change feed in contract-records.ts.
 */
import { describe, expect, it } from "vitest";
import type { ImagePolicy, ImageRepository } from "../../src/api/types.js";
import {
  ConflictError,
  InvalidObjectError,
  NotFoundError,
  RECONCILE_REQUESTED_AT,
  type Store,
  StoreError,
} from "../../src/store/index.js";
import { describeRecordsContract } from "./contract-records.js";
import { freshStorePerTest, type StoreHandle } from "./support/store-fixture.js";

export type { StoreHandle } from "./support/store-fixture.js";

export function repo(
  name: string,
  image: string,
  extra: Partial<ImageRepository["spec"]> = {},
): ImageRepository {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name, namespace: "flux-system" },
    spec: { image, interval: "5m", ...extra },
  };
}

export function policy(name: string, range: string, labels?: Record<string, string>): ImagePolicy {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    metadata: { name, namespace: "flux-system", ...(labels ? { labels } : {}) },
    spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range } } },
  };
}

const SCAN = { revision: "sha256:aaa", scanTime: "2026-01-01T00:00:00Z" };

export function describeStoreContract(backend: string, makeStore: () => Promise<StoreHandle>): void {
  describeRecordsContract(backend, makeStore);
  describe(`Store contract: ${backend}`, () => {
    let store: Store;
    freshStorePerTest(makeStore, (s) => {
      store = s;
    });

    describe("objects", () => {
      it("creates an object at generation 1 with store-owned metadata and no status", async () => {
        const [result] = await store.apply([repo("app", "ghcr.io/org/app")]);
        expect(result).toMatchObject({
          kind: "ImageRepository",
          name: "app",
          action: "created",
          generation: 1,
        });
        const got = await store.get("ImageRepository", "flux-system", "app");
        expect(got?.spec).toEqual({ image: "ghcr.io/org/app", interval: "5m" });
        expect(got?.metadata.generation).toBe(1);
        expect(got?.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(got?.metadata.resourceVersion).toBe(result?.resourceVersion);
        expect(got?.status).toBeUndefined();
      });

      it("reports unchanged for an identical re-apply, even with keys in another order", async () => {
        const [first] = await store.apply([repo("app", "ghcr.io/org/app", { exclusionList: ["^x$"] })]);
        const reordered = {
          kind: "ImageRepository",
          metadata: { namespace: "flux-system", name: "app" },
          apiVersion: "image.toolkit.fluxcd.io/v1",
          spec: { exclusionList: ["^x$"], interval: "5m", image: "ghcr.io/org/app" },
        } as ImageRepository;
        const [again] = await store.apply([reordered]);
        expect(again).toMatchObject({ action: "unchanged", generation: 1 });
        expect(again?.resourceVersion).toBe(first?.resourceVersion);
      });

      it("bumps generation on a spec change but not on a label change", async () => {
        await store.apply([policy("vote", "1.x")]);
        const [spec] = await store.apply([policy("vote", "2.x")]);
        expect(spec).toMatchObject({ action: "configured", generation: 2 });
        const [labels] = await store.apply([policy("vote", "2.x", { team: "a" })]);
        expect(labels).toMatchObject({ action: "configured", generation: 2 });
        expect(labels!.resourceVersion).toBeGreaterThan(spec!.resourceVersion);
        const got = await store.mustGet("ImagePolicy", "flux-system", "vote");
        expect(got.metadata.labels).toEqual({ team: "a" });
        expect(got.spec.policy).toEqual({ semver: { range: "2.x" } });
      });

      it("applies all documents or none when one fails mid-transaction", async () => {
        const broken = repo("broken", "ghcr.io/org/b");
        // A value no backend can serialise: the failure happens after the first document was written.
        (broken.spec as unknown as Record<string, unknown>).bad = 10n;
        await expect(store.apply([repo("first", "ghcr.io/org/a"), broken])).rejects.toBeInstanceOf(Error);
        expect(await store.get("ImageRepository", "flux-system", "first")).toBeUndefined();
        expect(await store.list("ImageRepository")).toEqual([]);
      });

      it("rejects a document without a name, naming the document and field, and stores nothing", async () => {
        const nameless = repo("x", "ghcr.io/org/x");
        (nameless.metadata as { name?: string }).name = undefined;
        const err = await store.apply([repo("ok", "ghcr.io/org/ok"), nameless]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidObjectError);
        expect((err as Error).message).toBe("apply: document 2 (ImageRepository): metadata.name is required");
        expect(await store.list("ImageRepository")).toEqual([]);
      });

      it("keeps the status when the spec is re-applied and ignores status in the input", async () => {
        await store.apply([repo("app", "ghcr.io/org/app")]);
        await store.updateStatus("ImageRepository", "flux-system", "app", { observedGeneration: 1 });
        const withStatus = { ...repo("app", "ghcr.io/org/app2"), status: { observedGeneration: 99 } };
        await store.apply([withStatus]);
        const got = await store.mustGet("ImageRepository", "flux-system", "app");
        expect(got.status).toEqual({ observedGeneration: 1 });
        expect(got.metadata.generation).toBe(2);
      });

      it("lists one kind sorted by namespace and name, filtered by namespace and label selector", async () => {
        const other = policy("b", "1.x", { tier: "web" });
        other.metadata.namespace = "apps";
        await store.apply([policy("z", "1.x", { tier: "web" }), policy("a", "1.x", { tier: "db" }), other]);
        await store.apply([repo("app", "ghcr.io/org/app")]);
        const all = await store.list("ImagePolicy");
        expect(all.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
          "apps/b",
          "flux-system/a",
          "flux-system/z",
        ]);
        const inNs = await store.list("ImagePolicy", { namespace: "flux-system" });
        expect(inNs.map((p) => p.metadata.name)).toEqual(["a", "z"]);
        const web = await store.list("ImagePolicy", { labelSelector: { matchLabels: { tier: "web" } } });
        expect(web.map((p) => p.metadata.name)).toEqual(["b", "z"]);
        const notDb = await store.list("ImagePolicy", {
          labelSelector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] },
        });
        expect(notDb.map((p) => p.metadata.name)).toEqual(["b", "z"]);
      });

      it("deletes an object with its status and tags; a recreated object starts afresh", async () => {
        await store.apply([repo("app", "ghcr.io/org/app")]);
        await store.updateStatus("ImageRepository", "flux-system", "app", { observedGeneration: 1 });
        await store.putTags("flux-system", "app", ["1.0.0"], SCAN);
        await store.putDigests("flux-system", "app", { "1.0.0": "sha256:111" });
        expect(await store.delete("ImageRepository", "flux-system", "app")).toBe(true);
        expect(await store.delete("ImageRepository", "flux-system", "app")).toBe(false);
        expect(await store.get("ImageRepository", "flux-system", "app")).toBeUndefined();
        await store.apply([repo("app", "ghcr.io/org/app")]);
        const again = await store.mustGet("ImageRepository", "flux-system", "app");
        expect(again.metadata.generation).toBe(1);
        expect(again.status).toBeUndefined();
        expect(await store.getTags("flux-system", "app")).toBeUndefined();
        expect(await store.getDigests("flux-system", "app")).toEqual({});
      });

      it("suspends and resumes through spec.suspend, bumping generation only on a real change", async () => {
        await store.apply([repo("app", "ghcr.io/org/app")]);
        const resumed = await store.setSuspended("ImageRepository", "flux-system", "app", false);
        expect(resumed.metadata.generation).toBe(1);
        const suspended = await store.setSuspended("ImageRepository", "flux-system", "app", true);
        expect(suspended.spec.suspend).toBe(true);
        expect(suspended.metadata.generation).toBe(2);
        const again = await store.setSuspended("ImageRepository", "flux-system", "app", true);
        expect(again.metadata.generation).toBe(2);
        const back = await store.setSuspended("ImageRepository", "flux-system", "app", false);
        expect(back.spec.suspend).toBe(false);
        expect(back.metadata.generation).toBe(3);
      });

      it("records a reconcile request as an annotation without bumping generation; re-apply keeps it", async () => {
        await store.apply([repo("app", "ghcr.io/org/app")]);
        const at = "2026-02-03T04:05:06Z";
        const got = await store.requestReconcile("ImageRepository", "flux-system", "app", at);
        expect(got.metadata.annotations?.[RECONCILE_REQUESTED_AT]).toBe(at);
        expect(got.metadata.generation).toBe(1);
        const [reapplied] = await store.apply([repo("app", "ghcr.io/org/app")]);
        expect(reapplied?.action).toBe("unchanged");
        const after = await store.mustGet("ImageRepository", "flux-system", "app");
        expect(after.metadata.annotations?.[RECONCILE_REQUESTED_AT]).toBe(at);
      });

      it("writes status without touching spec or generation, and skips identical writes", async () => {
        const [created] = await store.apply([policy("vote", "1.x")]);
        const status = {
          observedGeneration: 1,
          latestRef: { name: "ghcr.io/org/vote", tag: "1.2.3" },
          conditions: [
            {
              type: "Ready",
              status: "True" as const,
              reason: "Succeeded",
              message: "ok",
              lastTransitionTime: "2026-01-01T00:00:00Z",
            },
          ],
        };
        const rv = await store.updateStatus("ImagePolicy", "flux-system", "vote", status);
        expect(rv).toBeGreaterThan(created!.resourceVersion);
        const got = await store.mustGet("ImagePolicy", "flux-system", "vote");
        expect(got.status).toEqual(status);
        expect(got.spec).toEqual(policy("vote", "1.x").spec);
        expect(got.metadata.generation).toBe(1);
        expect(got.metadata.resourceVersion).toBe(rv);
        const same = await store.updateStatus("ImagePolicy", "flux-system", "vote", { ...status });
        expect(same).toBe(rv);
      });

      it("refuses a status write based on a stale resourceVersion", async () => {
        const [created] = await store.apply([policy("vote", "1.x")]);
        const rv = created!.resourceVersion;
        await store.apply([policy("vote", "2.x")]);
        const err = await store
          .updateStatus(
            "ImagePolicy",
            "flux-system",
            "vote",
            { observedGeneration: 1 },
            { expectedResourceVersion: rv },
          )
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as Error).message).toContain("ImagePolicy 'flux-system/vote' was modified");
      });

      it("names missing objects the way Flux does", async () => {
        const err = await store.mustGet("ImagePolicy", "flux-system", "vote").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as Error).message).toBe("ImagePolicy 'flux-system/vote' not found");
        await expect(
          store.updateStatus("ImagePolicy", "flux-system", "vote", { observedGeneration: 1 }),
        ).rejects.toThrow("ImagePolicy 'flux-system/vote' not found");
        await expect(store.setSuspended("ImagePolicy", "flux-system", "vote", true)).rejects.toThrow(
          "ImagePolicy 'flux-system/vote' not found",
        );
      });
    });

    describe("tags", () => {
      it("replaces the tag set of one repository and keeps repositories apart", async () => {
        // Same image, different credentials: each object keeps its own tags.
        await store.apply([
          repo("public", "ghcr.io/org/app"),
          repo("private", "ghcr.io/org/app", { secretRef: { name: "creds" } }),
        ]);
        await store.putTags("flux-system", "public", ["1.0.0", "1.1.0"], SCAN);
        await store.putTags("flux-system", "private", ["2.0.0"], { revision: "r2", scanTime: SCAN.scanTime });
        await store.putTags("flux-system", "public", ["1.2.0"], {
          revision: "r3",
          scanTime: "2026-01-02T00:00:00Z",
        });
        expect(await store.getTags("flux-system", "public")).toEqual({
          tags: ["1.2.0"],
          revision: "r3",
          scanTime: "2026-01-02T00:00:00Z",
        });
        expect((await store.getTags("flux-system", "private"))?.tags).toEqual(["2.0.0"]);
      });

      it("keeps 50,000 tags of one repository in order", async () => {
        await store.apply([repo("big", "ghcr.io/org/big")]);
        const tags = Array.from({ length: 50_000 }, (_, i) => `build-${i}`);
        await store.putTags("flux-system", "big", tags, SCAN);
        expect((await store.getTags("flux-system", "big"))?.tags).toEqual(tags);
      });

      it("refuses tags for an ImageRepository that does not exist", async () => {
        await expect(store.putTags("flux-system", "ghost", ["1"], SCAN)).rejects.toThrow(
          "ImageRepository 'flux-system/ghost' not found",
        );
        expect(await store.getTags("flux-system", "ghost")).toBeUndefined();
      });

      it("merges digests and drops those of tags that vanished from the registry", async () => {
        await store.apply([repo("app", "ghcr.io/org/app")]);
        await store.putTags("flux-system", "app", ["1.0.0", "1.1.0"], SCAN);
        await store.putDigests("flux-system", "app", { "1.0.0": "sha256:a" });
        await store.putDigests("flux-system", "app", { "1.1.0": "sha256:b", "1.0.0": "sha256:c" });
        expect(await store.getDigests("flux-system", "app")).toEqual({
          "1.0.0": "sha256:c",
          "1.1.0": "sha256:b",
        });
        await store.putTags("flux-system", "app", ["1.1.0"], SCAN);
        expect(await store.getDigests("flux-system", "app")).toEqual({ "1.1.0": "sha256:b" });
      });
    });

    it("rejects calls after close", async () => {
      await store.close();
      await expect(store.list("ImagePolicy")).rejects.toBeInstanceOf(StoreError);
    });
  });
}
