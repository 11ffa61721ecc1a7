import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectId } from "../../src/api/object-id.js";
import type {
  AnyObject,
  GitRepository,
  ImagePolicy,
  ImageRepository,
  ImageUpdateAutomation,
} from "../../src/api/types.js";
import { findCondition } from "../../src/controller/conditions.js";
import type { ControllerDeps } from "../../src/controller/controller-deps.js";
import { reconcileObject } from "../../src/controller/reconcile.js";
import { openStore, type Store } from "../../src/store/index.js";
import { createBareRepoAt } from "../support/git-repo.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// Every way a reconcile can stall or fail ends in the scaffold (reconcile-context.ts): each one must
// leave the same trail: Ready=False with observedGeneration, the request marked handled, an event.
const NS = "flux-system";
const API = { image: "image.toolkit.fluxcd.io/v1", source: "source.toolkit.fluxcd.io/v1" };

describe("every stall and failure records lastHandledReconcileAt and an event", () => {
  let registry: TestRegistry;
  let dir: string;
  let store: Store;
  let deps: ControllerDeps;
  let gitUrl: string;

  const repository = (name: string, spec: Partial<ImageRepository["spec"]> = {}): ImageRepository => ({
    apiVersion: API.image,
    kind: "ImageRepository",
    metadata: { name, namespace: NS },
    spec: { image: `${registry.host}/demo/app`, interval: "1h", insecure: true, ...spec },
  });
  const policy = (
    name: string,
    repo: string,
    spec: Partial<ImagePolicy["spec"]> = {},
    namespace = NS,
  ): ImagePolicy => ({
    apiVersion: API.image,
    kind: "ImagePolicy",
    metadata: { name, namespace },
    spec: {
      imageRepositoryRef: { name: repo, namespace: NS },
      policy: { semver: { range: "1.x" } },
      ...spec,
    },
  });
  const source = (name: string, spec: Partial<GitRepository["spec"]> = {}): GitRepository => ({
    apiVersion: API.source,
    kind: "GitRepository",
    metadata: { name, namespace: NS },
    spec: { url: gitUrl, interval: "1h", ref: { branch: "main" }, ...spec },
  });
  const automation = (
    name: string,
    src: string,
    spec: Partial<ImageUpdateAutomation["spec"]> = {},
  ): ImageUpdateAutomation => ({
    apiVersion: API.image,
    kind: "ImageUpdateAutomation",
    metadata: { name, namespace: NS },
    spec: {
      sourceRef: { kind: "GitRepository", name: src },
      interval: "1h",
      git: { commit: { author: { name: "bot", email: "bot@example.invalid" } }, push: { branch: "main" } },
      update: { strategy: "Setters", path: "." },
      ...spec,
    },
  });

  /** Applies `obj`, asks for a reconcile of it, runs it, and returns what was recorded. */
  const requestAndReconcile = async (obj: AnyObject) => {
    await store.apply([obj]);
    const key: ObjectId = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    const requestedAt = `request-${obj.kind}-${obj.metadata.name}`;
    await store.requestReconcile(key.kind, key.namespace, key.name, requestedAt);
    const outcome = await reconcileObject(deps, key);
    const stored = await store.get(key.kind, key.namespace, key.name);
    const [event] = await store.listEvents(key, 1);
    return { outcome, stored, event, requestedAt };
  };

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    await registry.pushTags("demo/app", ["v1.0.0", "v1.1.0"]);
    dir = mkdtempSync(join(tmpdir(), "imagectl-bookkeeping-"));
    store = await openStore({ home: join(dir, "home") });
    deps = { store, home: join(dir, "home"), now: () => new Date() };
    const bare = await createBareRepoAt(dir, "fleet.git", {
      "deploy.yaml": `image: ${registry.host}/demo/app:v1.0.0 # {"$imagepolicy": "${NS}:app"}\n`,
    });
    gitUrl = `file://${bare}`;
    // What the policies and automations below build on: a scanned repository and a selected tag.
    await store.apply([repository("app"), policy("app", "app"), source("fleet")]);
    expect(
      (await reconcileObject(deps, { kind: "ImageRepository", namespace: NS, name: "app" }))?.ready,
    ).toBe(true);
    expect((await reconcileObject(deps, { kind: "ImagePolicy", namespace: NS, name: "app" }))?.ready).toBe(
      true,
    );
    // A stalled repository for the policy that follows its ImageURLInvalid.
    await store.apply([repository("bad-image", { image: "Not A Reference" })]);
    await reconcileObject(deps, { kind: "ImageRepository", namespace: NS, name: "bad-image" });
    // Tags of an image the registry does not have: selecting works, fetching the digest fails.
    await store.apply([repository("ghost", { image: `${registry.host}/demo/ghost` })]);
    await store.putTags(NS, "ghost", ["v1.0.0"], {
      revision: "sha256:0",
      scanTime: new Date().toISOString(),
    });
    await store.apply([repository("never-scanned")]);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stalls: [string, () => AnyObject][] = [
    ["ImageURLInvalid", () => repository("r-url", { image: "UPPER/case:::" })],
    ["InvalidExclusionList", () => repository("r-exclusion", { exclusionList: ["(unclosed"] })],
    ["InvalidPolicy", () => policy("p-invalid", "app", { policy: { semver: { range: "not a range" } } })],
    ["ImageURLInvalid", () => policy("p-bad-image", "bad-image")],
    ["InvalidSourceConfiguration", () => automation("a-no-git", "fleet", { git: undefined })],
    [
      "InvalidSourceConfiguration",
      () => automation("a-bucket", "fleet", { sourceRef: { kind: "Bucket", name: "fleet" } }),
    ],
    ["InvalidUpdateStrategy", () => automation("a-strategy", "fleet", { update: { strategy: "Other" } })],
    [
      "InvalidUpdatePath",
      () => automation("a-path", "fleet", { update: { strategy: "Setters", path: "../up" } }),
    ],
    [
      "RemovedTemplateField",
      () =>
        automation("a-template", "fleet", {
          git: {
            commit: {
              author: { name: "bot", email: "bot@example.invalid" },
              messageTemplate: "{{ .Updated }}",
            },
          },
        }),
    ],
  ];

  const failures: [string, () => Promise<AnyObject>][] = [
    ["AuthenticationFailed", async () => repository("r-secret", { secretRef: { name: "missing" } })],
    // provider: aws on a host that is no ECR registry (docs/cloud-registries.md).
    ["AuthenticationFailed", async () => repository("r-provider", { provider: "aws" })],
    ["ReadOperationFailed", async () => repository("r-unknown", { image: `${registry.host}/demo/none` })],
    ["DependencyNotReady", async () => policy("p-no-repo", "no-such-repository")],
    ["DependencyNotReady", async () => policy("p-no-tags", "never-scanned")],
    ["AccessDenied", async () => policy("p-cross", "app", {}, "elsewhere")],
    ["Failure", async () => policy("p-no-match", "app", { policy: { semver: { range: ">=9.0.0" } } })],
    [
      "DigestLookupFailed",
      async () => policy("p-digest", "ghost", { digestReflectionPolicy: "IfNotPresent" }),
    ],
    ["SourceManagerFailed", async () => automation("a-no-source", "no-such-source")],
    [
      "GitOperationFailed",
      async () => {
        await store.apply([source("gone", { url: `file://${join(dir, "missing.git")}` })]);
        return automation("a-clone", "gone");
      },
    ],
    [
      "GitOperationFailed",
      async () => {
        await store.apply([source("locked", { secretRef: { name: "missing" } })]);
        return automation("a-source-secret", "locked");
      },
    ],
    [
      "GitOperationFailed",
      async () =>
        automation("a-signing-secret", "fleet", {
          git: {
            commit: {
              author: { name: "bot", email: "bot@example.invalid" },
              signingKey: { secretRef: { name: "missing" } },
            },
          },
        }),
    ],
  ];

  it.each(stalls)("stall %s (%#)", async (reason, make) => {
    const { outcome, stored, event, requestedAt } = await requestAndReconcile(make());
    expect(outcome).toMatchObject({ ready: false, stalled: true, handledRequest: requestedAt });
    expect(stored?.status?.lastHandledReconcileAt).toBe(requestedAt);
    expect(stored?.status?.observedGeneration).toBe(stored?.metadata.generation);
    expect(findCondition(stored?.status, "Stalled")).toMatchObject({ status: "True", reason });
    expect(findCondition(stored?.status, "Ready")).toMatchObject({ status: "False", reason });
    expect(event).toMatchObject({ type: "Warning", reason, message: outcome?.message });
  });

  it.each(failures)("failure %s (%#)", async (reason, make) => {
    const { outcome, stored, event, requestedAt } = await requestAndReconcile(await make());
    expect(outcome).toMatchObject({
      ready: false,
      stalled: false,
      failed: true,
      handledRequest: requestedAt,
    });
    expect(stored?.status?.lastHandledReconcileAt).toBe(requestedAt);
    expect(stored?.status?.observedGeneration).toBe(stored?.metadata.generation);
    expect(findCondition(stored?.status, "Reconciling")).toMatchObject({ status: "True" });
    expect(findCondition(stored?.status, "Ready")).toMatchObject({ status: "False", reason });
    expect(event).toMatchObject({ type: "Warning", reason, message: outcome?.message });
  });

  it("a signing key secret without the key stalls InvalidSigningKey", async () => {
    await store.putSecret(NS, "empty-key", { data: { other: "x" } });
    const { outcome, stored, event, requestedAt } = await requestAndReconcile(
      automation("a-signing-key", "fleet", {
        git: {
          commit: {
            author: { name: "bot", email: "bot@example.invalid" },
            signingKey: { secretRef: { name: "empty-key" } },
          },
        },
      }),
    );
    expect(outcome).toMatchObject({ stalled: true, handledRequest: requestedAt });
    expect(stored?.status?.lastHandledReconcileAt).toBe(requestedAt);
    expect(event).toMatchObject({ type: "Warning", reason: "InvalidSigningKey" });
  });

  it("a GitRepository, whose remote is listed, records the request it handled", async () => {
    const { outcome, stored, event, requestedAt } = await requestAndReconcile(source("defined"));
    expect(outcome).toMatchObject({ ready: true, handledRequest: requestedAt });
    expect(stored?.status?.lastHandledReconcileAt).toBe(requestedAt);
    expect(findCondition(stored?.status, "Ready")).toMatchObject({
      status: "True",
      message: expect.stringMatching(/^remote reachable: revision 'main@sha1:[0-9a-f]{40}'$/),
    });
    expect(event).toBeUndefined();
  });

  it("a request already handled is not handled again, and a suspended object is left alone", async () => {
    const key: ObjectId = { kind: "ImagePolicy", namespace: NS, name: "p-invalid" };
    const again = await reconcileObject(deps, key);
    expect(again?.stalled).toBe(true);
    expect(again?.handledRequest).toBeUndefined();
    const before = await store.get("ImagePolicy", NS, "app");
    await store.setSuspended("ImagePolicy", NS, "app", true);
    await store.requestReconcile("ImagePolicy", NS, "app", "while-suspended");
    expect(await reconcileObject(deps, { kind: "ImagePolicy", namespace: NS, name: "app" })).toMatchObject({
      suspended: true,
    });
    expect((await store.get("ImagePolicy", NS, "app"))?.status).toEqual(before?.status);
  });
});
