import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageRepository } from "../../src/api/types.js";
import type { ControllerDeps } from "../../src/controller/controller-deps.js";
import { reconcileImageRepository } from "../../src/controller/image-repository.js";
import { openStore } from "../../src/store/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The ImageRepository reconciler owns Flux's exclusionList: the registry client lists every tag.
describe("ImageRepository exclusion list (real registry)", () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    await registry.pushTags("demo/app", ["v1.0.0", "v1.1.0", "sha256-abc.sig", "latest"]);
    dir = mkdtempSync(join(tmpdir(), "imagectl-exclusion-"));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scan = async (home: string, exclusionList?: string[]) => {
    const store = await openStore({ home: join(dir, home) });
    const deps: ControllerDeps = { store, home: join(dir, home), now: () => new Date() };
    const repo: ImageRepository = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: "app", namespace: "flux-system" },
      spec: {
        image: `${registry.host}/demo/app`,
        interval: "1h",
        insecure: true,
        ...(exclusionList && { exclusionList }),
      },
    };
    await store.apply([repo]);
    const stored = await store.get("ImageRepository", "flux-system", "app");
    if (!stored) throw new Error("not stored");
    const outcome = await reconcileImageRepository(deps, stored);
    const tags = (await store.getTags("flux-system", "app"))?.tags.sort();
    const status = (await store.get("ImageRepository", "flux-system", "app"))?.status;
    await store.close();
    return { outcome, tags, status };
  };

  it("drops .sig tags by default (an empty list means the default)", async () => {
    for (const [home, list] of [
      ["default", undefined],
      ["empty", []],
    ] as const) {
      const { outcome, tags, status } = await scan(home, list ? [...list] : undefined);
      expect(outcome.ready).toBe(true);
      expect(tags).toEqual(["latest", "v1.0.0", "v1.1.0"]);
      expect(status?.lastScanResult?.tagCount).toBe(3);
      expect(status?.observedExclusionList).toEqual(["^.*\\.sig$"]);
    }
  });

  it("replaces the default list when one is given", async () => {
    const { tags, status } = await scan("custom", ["^latest$"]);
    expect(tags).toEqual(["sha256-abc.sig", "v1.0.0", "v1.1.0"]);
    expect(status?.observedExclusionList).toEqual(["^latest$"]);
  });
});
