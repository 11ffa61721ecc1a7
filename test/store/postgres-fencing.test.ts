/**
 * Fencing on a shared store: a replica whose lease on an ImageUpdateAutomation was taken over
 * while its run was under way does not push (the token is checked right before the push), leaves
 * no commit behind, and the new holder's run pushes the change once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyObject } from "../../src/api/types.js";
import { LeaseManager } from "../../src/controller/lease-manager.js";
import { reconcileObject } from "../../src/controller/reconcile.js";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import { createBareRepoAt, headOf, hermeticGit, showFile } from "../support/git-repo.js";
import type { TestPostgres } from "../support/postgres.js";
import { postgresForFile } from "./support/postgres-server.js";

const env = { IMAGECTL_SECRETS_KEY: Buffer.alloc(32, 4).toString("base64") };
const KEY = { kind: "ImageUpdateAutomation" as const, namespace: "flux-system", name: "fleet" };
const LEASE_MS = 60_000;

let server: TestPostgres;
postgresForFile((s) => {
  server = s;
});
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-fence-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function objects(bare: string): AnyObject[] {
  return [
    {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: "fleet", namespace: "flux-system" },
      spec: { url: `file://${bare}`, interval: "1h", ref: { branch: "main" } },
    },
    {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: { name: "app", namespace: "flux-system" },
      spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: "1.x" } } },
    },
    {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageUpdateAutomation",
      metadata: { name: "fleet", namespace: "flux-system" },
      spec: {
        interval: "1h",
        sourceRef: { kind: "GitRepository", name: "fleet" },
        git: { commit: { author: { name: "bot", email: "bot@example.invalid" } }, push: { branch: "main" } },
        update: { path: ".", strategy: "Setters" },
      },
    },
  ] as AnyObject[];
}

describe("fencing before a push", () => {
  let a: PostgresStore;
  let b: PostgresStore;
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("keeps a replica that lost its lease from pushing; the new holder pushes once", async () => {
    const bare = await createBareRepoAt(dir, "fleet.git", {
      "deploy.yaml": 'image: reg.example/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n',
    });
    const before = await headOf(bare, "main");
    const url = server.url(await server.createDatabase());
    a = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    b = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    await a.apply(objects(bare));
    await a.updateStatus("ImagePolicy", "flux-system", "app", {
      observedGeneration: 1,
      latestRef: { name: "reg.example/app", tag: "1.2.0" },
    });

    const ra = new LeaseManager(a.leases, a, { replica: "a", ttlMs: LEASE_MS });
    const rb = new LeaseManager(b.leases, b, { replica: "b", ttlMs: LEASE_MS });
    await ra.start();
    expect(await ra.admit([KEY])).toEqual([KEY]);

    // While a's run is between its clone and its push, its lease passes to b (a was cut off
    // long enough for the lease to expire).
    const homeA = join(dir, "home-a");
    const runA = reconcileObject(
      {
        store: a,
        home: homeA,
        now: () => new Date(),
        fence: async (key) => {
          await server.query(
            "UPDATE leases SET expires_at = now() - interval '1 second'",
            url.split("/").pop(),
          );
          await rb.start();
          expect(await rb.admit([key])).toEqual([key]);
          await ra.fence(key);
        },
      },
      KEY,
    );
    const outcome = await runA;
    expect(outcome?.ready).toBe(false);
    expect(outcome?.message).toContain("no longer holds the lease; not pushing");
    expect(await headOf(bare, "main")).toBe(before);
    // Nothing left behind in a's clone: no commit past the remote's head, no edit.
    const clone = join(homeA, "git", "flux-system", "fleet", "repo");
    expect((await hermeticGit(["status", "--porcelain"], clone)).trim()).toBe("");
    expect((await hermeticGit(["rev-parse", "HEAD"], clone)).trim()).toBe(before);

    // The holder's run pushes the change, once.
    const runB = await reconcileObject(
      { store: b, home: join(dir, "home-b"), now: () => new Date(), fence: (key) => rb.fence(key) },
      KEY,
    );
    expect(runB?.ready, runB?.message).toBe(true);
    const after = await headOf(bare, "main");
    expect(after).not.toBe(before);
    expect(await showFile(bare, "main", "deploy.yaml")).toContain("reg.example/app:1.2.0");
    expect((await hermeticGit(["rev-list", "--count", `${before}..main`], bare)).trim()).toBe("1");
    await ra.stop();
    await rb.stop();
  }, 60_000);
});
