/**
 * The lease manager on a real store: a replica alone claims everything; when a second one joins,
 * the first gives back the second's share (rendezvous hashing) and each object is held by exactly
 * one; a replica that stops hands its share over without waiting for expiry.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { ObjectId } from "../../src/api/object-id.js";
import { LeaseManager } from "../../src/controller/lease-manager.js";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import { eventually } from "../support/imagectl-process.js";
import type { TestPostgres } from "../support/postgres.js";
import { repo as contractRepo } from "./contract.js";
import { postgresForFile } from "./support/postgres-server.js";

const env = { IMAGECTL_SECRETS_KEY: Buffer.alloc(32, 8).toString("base64") };
const TTL = 1_500;
const N = 40;

let server: TestPostgres;
postgresForFile((s) => {
  server = s;
});

const keys: ObjectId[] = Array.from({ length: N }, (_, i) => ({
  kind: "ImageRepository",
  namespace: "flux-system",
  name: `app-${i}`,
}));

/** ImageRepository `name` of ghcr.io/org/`name`. */
const repo = (name: string) => contractRepo(name, `ghcr.io/org/${name}`);

describe("lease manager", () => {
  let a: PostgresStore;
  let b: PostgresStore;
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("splits the objects between replicas, one holder each, and hands over on stop", async () => {
    const url = server.url(await server.createDatabase());
    a = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    b = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    await a.apply(keys.map((k) => repo(k.name)));
    const ra = new LeaseManager(a.leases, a, { replica: "a", ttlMs: TTL });
    const rb = new LeaseManager(b.leases, b, { replica: "b", ttlMs: TTL });
    await ra.start();
    expect(await ra.admit(keys)).toHaveLength(N);
    expect(ra.state()).toMatchObject({ replica: "a", replicas: 1, held: N, current: true });

    await rb.start();
    // b's share is held by a until a's next renewal sees b and gives it back.
    await eventually(async () => (ra.state().replicas === 2 ? true : undefined), 10_000, "a to see b");
    const share = keys.filter((k) => ra.ownerOf(k) === "b");
    await eventually(
      async () => (ra.state().held === N - share.length ? true : undefined),
      10_000,
      "a to give back b's share",
    );
    expect(share.length).toBeGreaterThan(N / 4);
    expect(share.length).toBeLessThan((3 * N) / 4);
    expect(await rb.admit(keys)).toEqual(share);
    for (const k of keys) expect(Number(ra.holds(k)) + Number(rb.holds(k)), k.name).toBe(1);

    // A clean stop hands a's share over at once (no waiting for expiry).
    await ra.stop();
    await eventually(
      async () => ((await rb.admit(keys)).length === N ? true : undefined),
      2 * TTL,
      "b to take all",
    );
    expect(rb.state()).toMatchObject({ replicas: 1, held: N, current: true });
    await rb.stop();
  }, 60_000);
});
