/**
 * The fact cache's sweep (src/controller/digest-fact-pruner.ts) with three replicas on one
 * PostgreSQL store, in-process: each replica its own store pool, lease manager and daemon, as
 * `serve --store postgres://…` builds them. Only the holder of the sweep's store-wide lease sweeps;
 * the batches of different replicas never overlap in time; when the holder dies in the middle of
 * a sweep (its pool closed first, so it cannot give its leases back), another replica claims the
 * lease once it has expired, not before, and finishes the work.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon, FACT_SWEEP_TASK } from "../../src/controller/daemon.js";
import { LeaseManager } from "../../src/controller/lease-manager.js";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.js";
import type { DigestFactPruneBatch, DigestFactPruneResult, Store } from "../../src/store/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import { eventually } from "../support/imagectl-process.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { suspendedRepository } from "./support/suspended-repository.js";

const env = { IMAGECTL_SECRETS_KEY: Buffer.alloc(32, 5).toString("base64") };
const TTL = 1_500;
const TIMING = { firstAfterMs: 100, everyMs: 1_200, pauseMs: 20, batchRows: 40 };
const LIVE_IMAGE = "ghcr.io/org/web";
const DB = "sweep";

interface Batch {
  replica: string;
  start: number;
  end: number;
  examined: number;
  last: boolean;
}

interface Replica {
  id: string;
  store: PostgresStore;
  manager: LeaseManager;
  daemon: Daemon;
}

/** The store as the replica's daemon sees it, with every sweep batch recorded. */
function recording(store: PostgresStore, replica: string, batches: Batch[]): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "pruneDigestFacts") {
        return async (b: DigestFactPruneBatch): Promise<DigestFactPruneResult> => {
          const start = Date.now();
          const got = await target.pruneDigestFacts(b);
          batches.push({ replica, start, end: Date.now(), examined: got.examined, last: !got.next });
          return got;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("the fact sweep on replicas sharing a PostgreSQL store", () => {
  let server: TestPostgres;
  let url: string;
  let admin: PostgresStore;
  let home: string;
  const batches: Batch[] = [];
  const errors: unknown[] = [];
  const lines: string[] = [];
  const replicas: Replica[] = [];

  /**
   * `n` facts of `image`, checked an hour ago: past the grace a new repository's facts get
   * (IMAGE_GRACE_MS), well within the retention of a live image's unresolved digests.
   */
  const seed = (image: string, n: number) =>
    admin.putDigestFacts(
      image,
      "created",
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `sha256:${String(i).padStart(64, "0")}`,
          { value: "{}", checkedAt: new Date(Date.now() - 3_600_000).toISOString() },
        ]),
      ),
    );
  const factsOf = async (image: string): Promise<number> => {
    const r = await server.query(
      `SELECT count(*)::integer AS n FROM digest_facts WHERE image = '${image}'`,
      DB,
    );
    return (r.rows as { n: number }[])[0]!.n;
  };
  /** The sweep's lease row, read behind the replicas' backs. */
  const taskLease = async (): Promise<{ holder: string; expiresMs: number }> => {
    const r = await server.query(
      `SELECT holder, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms
       FROM leases WHERE kind = 'imagectl.io/task' AND name = '${FACT_SWEEP_TASK}'`,
      DB,
    );
    const [row] = r.rows as { holder: string; expires_ms: number }[];
    if (!row) throw new Error("no lease row for the fact sweep");
    return { holder: row.holder, expiresMs: row.expires_ms };
  };

  const startReplica = async (id: string): Promise<Replica> => {
    const store = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    const seen = recording(store, id, batches);
    const manager = new LeaseManager(store.leases, seen, {
      replica: id,
      ttlMs: TTL,
      log: (l) => lines.push(l),
    });
    await manager.start();
    const daemon = new Daemon(
      { store: seen, home: join(home, id), now: () => new Date() },
      { leases: manager, factPruning: TIMING, onError: (_k, e) => errors.push(e) },
    );
    await daemon.start();
    const r = { id, store, manager, daemon };
    replicas.push(r);
    return r;
  };

  /** A crash as the store sees it: the pool goes first, so nothing is given back. */
  const kill = async (r: Replica) => {
    await r.daemon.stop();
    await r.store.close();
    await r.manager.stop();
    replicas.splice(replicas.indexOf(r), 1);
  };

  beforeAll(async () => {
    server = await startPostgres();
    url = server.url(await server.createDatabase(DB));
    admin = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    home = mkdtempSync(join(tmpdir(), "imagectl-sweep-replicas-"));
    await admin.apply([suspendedRepository("web", LIVE_IMAGE)]);
  }, 60_000);
  afterAll(async () => {
    for (const r of [...replicas]) {
      await r.daemon.stop();
      await r.manager.stop();
      await r.store.close();
    }
    await admin?.close();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("sweeps on one replica at a time, and another one finishes after the holder dies", async () => {
    await seed(LIVE_IMAGE, 100);
    await seed("ghcr.io/org/gone-1", 400);
    for (const id of ["r1", "r2", "r3"]) await startReplica(id);

    // Several whole sweeps, all by the lease's holder.
    await eventually(
      async () => ((await factsOf("ghcr.io/org/gone-1")) === 0 ? true : undefined),
      20_000,
      "gone-1 swept",
    );
    await eventually(
      async () => (batches.filter((b) => b.last).length >= 3 ? true : undefined),
      20_000,
      "three sweeps",
    );
    const holder = (await taskLease()).holder;
    expect(new Set(batches.map((b) => b.replica))).toEqual(new Set([holder]));
    expect(lines.filter((l) => l.includes(`task lease acquired ${FACT_SWEEP_TASK}`))).toHaveLength(1);

    // The holder dies in the middle of a sweep of a bigger table.
    await seed("ghcr.io/org/gone-2", 1_200);
    const from = batches.length;
    await eventually(
      async () => {
        const mine = batches.slice(from);
        return mine.length >= 3 && !mine.at(-1)!.last ? true : undefined;
      },
      20_000,
      "the holder in the middle of a sweep",
    );
    const dead = replicas.find((r) => r.id === holder)!;
    await kill(dead);
    const deadLease = await taskLease();
    expect(deadLease.holder).toBe(holder);
    const killedAt = batches.length;
    expect(await factsOf("ghcr.io/org/gone-2")).toBeGreaterThan(0);

    await eventually(
      async () => ((await factsOf("ghcr.io/org/gone-2")) === 0 ? true : undefined),
      20_000,
      "gone-2 swept",
    );
    const after = batches.slice(killedAt);
    const heir = (await taskLease()).holder;
    expect(heir).not.toBe(holder);
    expect(new Set(after.map((b) => b.replica))).toEqual(new Set([heir]));
    // Taken over only once the dead holder's lease had expired (same machine, same clock).
    expect(after[0]!.start).toBeGreaterThanOrEqual(Math.floor(deadLease.expiresMs) - 5);
    // The live image's facts were never touched.
    expect(await factsOf(LIVE_IMAGE)).toBe(100);

    // Never two replicas sweeping at once: each batch ends before the next one starts.
    const ordered = [...batches].sort((a, b) => a.start - b.start);
    for (let i = 1; i < ordered.length; i++) {
      const [prev, next] = [ordered[i - 1]!, ordered[i]!];
      if (prev.replica !== next.replica)
        expect(next.start, `${prev.replica} → ${next.replica}`).toBeGreaterThanOrEqual(prev.end);
    }
    expect(errors).toEqual([]);
  }, 90_000);
});
