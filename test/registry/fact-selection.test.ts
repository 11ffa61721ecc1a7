import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImagePolicy, ImageRepository } from "../../src/api/types.js";
import type { ControllerDeps } from "../../src/controller/controller-deps.js";
import { reconcileImagePolicy } from "../../src/controller/image-policy.js";
import { reconcileImageRepository } from "../../src/controller/image-repository.js";
import { openStore, type Store } from "../../src/store/index.js";
import {
  type ContentLab,
  type ContentPusher,
  cosignKeyPair,
  startContentLab,
} from "../support/image-content.js";
import type { TestRegistry } from "../support/registry.js";

const NS = "flux-system";
const H = 3_600_000;
const NOW = Date.parse("2026-12-03T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

let content: ContentLab;
let registry: TestRegistry;
let pusher: ContentPusher;
let dir: string;

beforeAll(async () => {
  content = await startContentLab("imagectl-facts-");
  ({ registry, pusher, dir } = content);
});
afterAll(async () => {
  await content?.stop();
});

/** The lab's clock: each scan happens a second after the last, as real scans do. */
let clock = NOW;

async function lab(name: string): Promise<{ deps: ControllerDeps; store: Store }> {
  const home = join(dir, name);
  const store = await openStore({ home });
  clock = NOW;
  return { store, deps: { store, home, now: () => new Date(clock) } };
}

function objects(
  repoPath: string,
  policy: ImagePolicy["spec"]["policy"],
  annotations: Record<string, string>,
) {
  const repo: ImageRepository = {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name: "app", namespace: NS },
    spec: { image: `${registry.host}/${repoPath}`, interval: "1h" },
  };
  const pol: ImagePolicy = {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    metadata: { name: "app", namespace: NS, annotations },
    spec: { imageRepositoryRef: { name: "app" }, policy },
  };
  return [repo, pol] as const;
}

async function scanAndSelect(deps: ControllerDeps, store: Store) {
  const repo = await store.mustGet("ImageRepository", NS, "app");
  clock += 1000;
  expect((await reconcileImageRepository(deps, repo, { force: true })).ready).toBe(true);
  const before = content.requests();
  const outcome = await reconcileImagePolicy(deps, await store.mustGet("ImagePolicy", NS, "app"));
  const pol = await store.mustGet("ImagePolicy", NS, "app");
  const ready = pol.status?.conditions?.find((c) => c.type === "Ready");
  return { outcome, tag: pol.status?.latestRef?.tag, ready, requests: content.requests() - before };
}

describe("select newest (real registry)", () => {
  it("the image created last wins; a rescan reads only the new digest", async () => {
    const path = "newest/app";
    await pusher.pushImage(path, "main-aaa", { created: ago(3 * H), salt: "a" });
    await pusher.pushImage(path, "main-bbb", { created: ago(1 * H), salt: "b" });
    await pusher.pushImage(path, "main-ccc", { created: ago(2 * H), salt: "c" });
    await pusher.pushImage(path, "other", { created: ago(0), salt: "o" }); // filtered out
    const { deps, store } = await lab("newest");
    const [repo, pol] = objects(path, { alphabetical: { order: "asc" } }, { "imagectl.io/select": "newest" });
    await store.apply([repo, { ...pol, spec: { ...pol.spec, filterTags: { pattern: "^main-" } } }]);
    const first = await scanAndSelect(deps, store);
    expect(first.tag).toBe("main-bbb");
    // Alphabetical alone would pick main-ccc.
    // 3 candidates: HEAD tag + manifest + config each.
    expect(first.requests).toBe(9);

    const again = await scanAndSelect(deps, store);
    expect(again.tag).toBe("main-bbb");
    expect(again.requests).toBe(3); // each tag re-resolved after the new scan, nothing else read

    await pusher.pushImage(path, "main-000", { created: ago(0.5 * H), salt: "d" });
    const third = await scanAndSelect(deps, store);
    expect(third.tag).toBe("main-000");
    expect(third.requests).toBe(4 + 2); // 4 HEADs, then manifest + config of the one new digest

    const quiet = await reconcileImagePolicy(deps, await store.mustGet("ImagePolicy", NS, "app"));
    expect(quiet.ready).toBe(true); // same scan: nothing re-resolved
  });

  it("a multi-platform index counts its newest platform image; the OCI annotation counts too", async () => {
    const path = "newest/multi";
    await pusher.pushIndex(path, "1.0.0", [ago(10 * H), ago(1 * H)]);
    await pusher.pushImage(path, "1.1.0", { created: ago(5 * H), salt: "x" });
    await pusher.pushImage(path, "1.2.0", { annotationCreated: ago(0.25 * H), salt: "y" }); // no config time
    await pusher.pushImage(path, "1.3.0", { salt: "z" }); // no time at all: never selected
    const { deps, store } = await lab("multi");
    const [repo, pol] = objects(path, { semver: { range: "<1.2.0" } }, { "imagectl.io/select": "newest" });
    await store.apply([repo, pol]);
    expect((await scanAndSelect(deps, store)).tag).toBe("1.0.0"); // 1.2.0 is out of range
    await store.apply([
      repo,
      objects(path, { semver: { range: "*" } }, { "imagectl.io/select": "newest" })[1],
    ]);
    expect((await scanAndSelect(deps, store)).tag).toBe("1.2.0");
  });

  it("reads at most imagectl.io/max-reads new digests per reconcile, and says so", async () => {
    const path = "newest/budget";
    for (const [i, t] of ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].entries())
      await pusher.pushImage(path, t, { created: ago((4 - i) * H), salt: `b${i}` });
    const { deps, store } = await lab("budget");
    const [repo, pol] = objects(
      path,
      { semver: { range: "*" } },
      {
        "imagectl.io/select": "newest",
        "imagectl.io/max-reads": "3",
      },
    );
    await store.apply([repo, pol]);
    const first = await scanAndSelect(deps, store);
    expect(first.outcome.ready).toBe(false);
    expect(first.outcome.requeueAfterMs).toBe(5000);
    expect(first.ready?.reason).toBe("ImageFactsPending");
    expect(first.ready?.message).toMatch(/1 candidate tag\(s\) not read yet \(at most 3 new digests/);
    const second = await reconcileImagePolicy(deps, await store.mustGet("ImagePolicy", NS, "app"));
    expect(second.ready).toBe(true);
    expect((await store.mustGet("ImagePolicy", NS, "app")).status?.latestRef?.tag).toBe("1.3.0");
  });
});

describe("minimum age (real registry)", () => {
  it("a tag younger than min-age waits; the policy comes back when it is old enough", async () => {
    const path = "minage/app";
    await pusher.pushImage(path, "2.0.0", { created: ago(2 * H), salt: "new" });
    await pusher.pushImage(path, "1.9.0", { created: ago(30 * H), salt: "old" });
    for (const v of [8, 7, 6, 5])
      await pusher.pushImage(path, `1.${v}.0`, { created: ago((60 - v) * H), salt: `o${v}` });
    const { deps, store } = await lab("minage");
    const [repo, pol] = objects(path, { semver: { range: "*" } }, { "imagectl.io/min-age": "24h" });
    await store.apply([repo, pol]);
    const got = await scanAndSelect(deps, store);
    expect(got.tag).toBe("1.9.0");
    expect(got.outcome.requeueAfterMs).toBe(22 * H - 1000);
    // Read best first in a batch of four (HEAD + manifest + config each); 1.6.0 and 1.5.0 never.
    expect(got.requests).toBe(12);

    // 23 hours on, 2.0.0 is old enough.
    clock = NOW + 23 * H;
    await reconcileImagePolicy(deps, await store.mustGet("ImagePolicy", NS, "app"));
    expect((await store.mustGet("ImagePolicy", NS, "app")).status?.latestRef?.tag).toBe("2.0.0");
  });

  it("no tag old enough: not Ready, naming the waiting tags and when", async () => {
    const path = "minage/young";
    await pusher.pushImage(path, "1.0.0", { created: ago(1 * H), salt: "y1" });
    const { deps, store } = await lab("young");
    const [repo, pol] = objects(path, { semver: { range: "*" } }, { "imagectl.io/min-age": "24h" });
    await store.apply([repo, pol]);
    const got = await scanAndSelect(deps, store);
    expect(got.tag).toBeUndefined();
    expect(got.ready?.message).toBe(
      "no candidate passed the selection rules: 1.0.0 waits until 2026-12-04T11:00:00Z (minimum age)",
    );
    expect(got.outcome.requeueAfterMs).toBe(23 * H - 1000);
  });
});

describe("cosign verification before selection (real registry)", () => {
  it("only a tag whose digest carries a valid signature by the key is a candidate", async () => {
    const path = "signed/app";
    const key = cosignKeyPair();
    const other = cosignKeyPair();
    const d1 = await pusher.pushImage(path, "1.0.0", { salt: "s1" });
    const d2 = await pusher.pushImage(path, "1.1.0", { salt: "s2" });
    const d3 = await pusher.pushImage(path, "1.2.0", { salt: "s3" });
    const d4 = await pusher.pushImage(path, "1.3.0", { salt: "s4" });
    await pusher.pushImage(path, "1.4.0", { salt: "s5" }); // unsigned
    await pusher.sign(path, d1, key.privateKey);
    await pusher.sign(path, d2, other.privateKey); // wrong key
    await pusher.sign(path, d3, key.privateKey, { payloadDigest: d1 }); // a copied signature
    await pusher.sign(path, d4, key.privateKey, { tamper: true }); // payload altered after signing
    const { deps, store } = await lab("signed");
    const [repo, pol] = objects(
      path,
      { semver: { range: "*" } },
      {
        "imagectl.io/verify": "cosign",
        "imagectl.io/verify-key": key.publicKeyPem,
      },
    );
    await store.apply([repo, pol]);
    const got = await scanAndSelect(deps, store);
    expect(got.tag).toBe("1.0.0");

    // Verdicts are cached per digest: the next scan reads no signature again, only re-resolves tags.
    const again = await scanAndSelect(deps, store);
    expect(again.tag).toBe("1.0.0");
    expect(again.requests).toBe(5);

    // The key from a secret (`*.pub`, as Flux's OCIRepository verification) works the same.
    await store.putSecret(NS, "cosign-keys", { type: "Opaque", data: { "cosign.pub": other.publicKeyPem } });
    await store.apply([
      repo,
      objects(
        path,
        { semver: { range: "*" } },
        {
          "imagectl.io/verify": "cosign",
          "imagectl.io/verify-secret-ref": "cosign-keys",
        },
      )[1],
    ]);
    expect((await scanAndSelect(deps, store)).tag).toBe("1.1.0");
  });

  it("bad annotations stall the policy naming the annotation", async () => {
    const { deps, store } = await lab("bad");
    const [repo, pol] = objects("signed/app", { semver: { range: "*" } }, { "imagectl.io/min-age": "a day" });
    await store.apply([repo, pol]); // the store takes it; the CLI's validation would refuse it (test/api)
    const outcome = await reconcileImagePolicy(deps, await store.mustGet("ImagePolicy", NS, "app"));
    expect(outcome.stalled).toBe(true);
    expect(outcome.message).toBe(
      'metadata.annotations[imagectl.io/min-age]: invalid duration "a day": expected e.g. 30m, 24h or 168h',
    );
  });
});
