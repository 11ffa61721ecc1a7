import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImagePolicy, ImageRef, ImageRepository } from "../../src/api/types.js";
import type { ControllerDeps } from "../../src/controller/controller-deps.js";
import { reconcileImagePolicy } from "../../src/controller/image-policy.js";
import { reconcileImageRepository } from "../../src/controller/image-repository.js";
import { openStore } from "../../src/store/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// Upstream Flux's TestImagePolicyReconciler_digestReflection scenarios (policy-vectors.json,
// digestReflectionScenarios), run against a real registry: D1 = the tags' first push, D2 = after
// every tag is re-pushed with new content.
interface Scenario {
  name: string;
  range1stPass: string;
  range2ndPass: string;
  digestReflectionPolicy1stPass: string;
  digestReflectionPolicy2ndPass: string;
  expectedDigest1stPass: string;
  expectedDigest2ndPass: string;
  expectedObservedPreviousRef2ndPass: ImageRef | null;
  expectedRequeueAfter1stPass: string;
  expectedRequeueAfter2ndPass: string;
}
const vectors = JSON.parse(
  readFileSync(new URL("../fixtures/conformance/policy-vectors.json", import.meta.url), "utf8"),
) as { digestReflectionScenarios: Scenario[] };

const TAGS = ["v1.0.0", "v1.1.0", "v1.1.1", "v2.0.0"];
const requeue = (ms: number | undefined) => (ms === undefined ? "0s" : ms === 600_000 ? "10m" : `${ms}ms`);

describe("digest reflection (upstream scenarios, real registry)", () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    dir = mkdtempSync(join(tmpdir(), "imagectl-digest-"));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  vectors.digestReflectionScenarios.forEach((sc, i) => {
    it(sc.name, async () => {
      const repoPath = `scenario${i}/foo/bar`;
      const image = `${registry.host}/${repoPath}`;
      const d1 = await registry.pushTags(repoPath, TAGS);
      const home = join(dir, `h${i}`);
      const store = await openStore({ home });
      const deps: ControllerDeps = { store, home, now: () => new Date() };
      try {
        const repo: ImageRepository = {
          apiVersion: "image.toolkit.fluxcd.io/v1",
          kind: "ImageRepository",
          metadata: { name: "bar", namespace: "flux-system" },
          spec: { image, interval: "1h" },
        };
        const policy = (range: string, reflect: string): ImagePolicy => ({
          apiVersion: "image.toolkit.fluxcd.io/v1",
          kind: "ImagePolicy",
          metadata: { name: "bar", namespace: "flux-system" },
          spec: {
            imageRepositoryRef: { name: "bar" },
            policy: { semver: { range } },
            ...(reflect ? { digestReflectionPolicy: reflect as "Always" } : {}),
            ...(reflect === "Always" ? { interval: "10m" } : {}),
          },
        });
        const symbolic = (digest: string | undefined, d2: string) =>
          digest === d1 ? `D1(${latest()})` : digest === d2 ? `D2(${latest()})` : (digest ?? "");
        let current: ImagePolicy | undefined;
        const latest = () => current?.status?.latestRef?.tag ?? "";

        await store.apply([repo, policy(sc.range1stPass, sc.digestReflectionPolicy1stPass)]);
        expect(
          (await reconcileImageRepository(deps, (await store.get("ImageRepository", "flux-system", "bar"))!))
            .ready,
        ).toBe(true);
        const first = await reconcileImagePolicy(
          deps,
          (await store.get("ImagePolicy", "flux-system", "bar"))!,
        );
        current = await store.get("ImagePolicy", "flux-system", "bar");
        expect(symbolic(current?.status?.latestRef?.digest, "-")).toBe(sc.expectedDigest1stPass);
        expect(requeue(first.requeueAfterMs)).toBe(sc.expectedRequeueAfter1stPass);

        // every tag re-pushed with new content
        let d2 = "";
        for (const tag of TAGS) d2 = (await registry.pushIndex(repoPath, tag)).digest;
        expect(d2).not.toBe(d1);
        await store.apply([repo, policy(sc.range2ndPass, sc.digestReflectionPolicy2ndPass)]);
        const second = await reconcileImagePolicy(
          deps,
          (await store.get("ImagePolicy", "flux-system", "bar"))!,
        );
        current = await store.get("ImagePolicy", "flux-system", "bar");
        expect(second.ready).toBe(true);
        expect(symbolic(current?.status?.latestRef?.digest, d2)).toBe(sc.expectedDigest2ndPass);
        expect(requeue(second.requeueAfterMs)).toBe(sc.expectedRequeueAfter2ndPass);
        const prev = current?.status?.observedPreviousRef;
        if (sc.expectedObservedPreviousRef2ndPass === null) {
          expect(prev).toBeUndefined();
        } else {
          const want = sc.expectedObservedPreviousRef2ndPass;
          expect(prev?.name).toBe(want.name.replace("<registry>/foo/bar", image));
          expect(prev?.tag).toBe(want.tag);
          expect(prev?.digest === d1 ? `D1(${want.tag})` : (prev?.digest ?? "")).toBe(want.digest ?? "");
        }
      } finally {
        await store.close();
      }
    });
  });
});
