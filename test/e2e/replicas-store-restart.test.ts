/**
 * The PostgreSQL server crashes (`pg_ctl stop -m immediate`) under two running replicas: both
 * report not-ready on /readyz, naming the store, keep running, become ready again when the server
 * is back, and carry on: nothing stored before the crash is lost, and objects created after it
 * are reconciled.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import { eventually, exited, spawnImagectl, spawnServe } from "../support/imagectl-process.js";
import { repositoryWithPolicy } from "../support/manifests.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

const KEY = Buffer.alloc(32, 5).toString("base64");
const env = { IMAGECTL_SECRETS_KEY: KEY };

describe("replicas while the PostgreSQL server crashes and restarts", () => {
  let pg: TestPostgres;
  let registry: TestRegistry;
  let store: PostgresStore;
  let dir: string;
  let url: string;
  const replicas: ReturnType<typeof spawnServe>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "imagectl-pgcrash-"));
    [pg, registry] = await Promise.all([startPostgres(), startRegistry({ mode: "plain" })]);
    url = pg.url(await pg.createDatabase("crash"));
    for (let i = 0; i < 12; i++) await registry.pushTags(`team/app-${i}`, ["1.0.0", "1.4.0"]);
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) if (r.exitCode === null && r.signalCode === null) r.kill("SIGKILL");
    await Promise.all(replicas.map((r) => exited(r)));
    await store?.close();
    await Promise.all([pg?.stop(), registry?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const applyRepos = async (from: number, to: number) => {
    const file = join(dir, `objects-${from}.yaml`);
    const docs: string[] = [];
    for (let i = from; i < to; i++) {
      docs.push(
        repositoryWithPolicy(
          `app-${i}`,
          `image: ${registry.host}/team/app-${i}, interval: 1h, insecure: true`,
        ),
      );
    }
    writeFileSync(file, docs.join("---\n"));
    const apply = spawnImagectl(
      ["apply", "-f", file, "--no-wait", "--store", url, "--home", join(dir, "cli")],
      env,
    );
    expect(await exited(apply), apply.output()).toBe(0);
  };

  const selected = async (n: number) => {
    const policies = await store.list("ImagePolicy");
    return policies.filter((p) => p.status?.latestRef?.tag === "1.4.0").length === n ? true : undefined;
  };

  const readyz = async (base: string) => {
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    return res ? { code: res.status, body: await res.text() } : { code: 0, body: "" };
  };

  it("report not-ready, recover, and lose nothing", async () => {
    const args = (id: string) => ["--store", url, "--replica-id", id, "--lease-duration", "3s"];
    replicas.push(spawnServe(join(dir, "a"), args("a"), env), spawnServe(join(dir, "b"), args("b"), env));
    const urls = await Promise.all(replicas.map((r) => r.url()));
    store = await openPostgresStore(parsePostgresUrl(url, {}), { env, statementTimeoutMs: 3_000 });

    await applyRepos(0, 8);
    await eventually(() => selected(8), 120_000, "8 policies to select 1.4.0");
    const before = await store.list("ImageRepository");

    await pg.stopServer("immediate");
    for (const base of urls) {
      const r = await eventually(
        async () => {
          const r = await readyz(base);
          return r.code === 503 ? r : undefined;
        },
        30_000,
        `${base}/readyz to report not ready`,
      );
      expect(r.body).toContain("store unreachable");
    }
    // Still running: a store outage is not a reason to exit.
    for (const r of replicas) expect(r.exitCode).toBeNull();

    await pg.startServer();
    for (const base of urls) {
      await eventually(
        async () => ((await readyz(base)).code === 200 ? true : undefined),
        60_000,
        `${base} ready again`,
      );
    }

    // Nothing stored before the crash was lost.
    const after = await store.list("ImageRepository");
    expect(
      after.map((o) => [o.metadata.name, o.metadata.generation, o.status?.lastScanResult?.revision]),
    ).toEqual(
      before.map((o) => [o.metadata.name, o.metadata.generation, o.status?.lastScanResult?.revision]),
    );
    // And the replicas carry on with new work.
    await applyRepos(8, 12);
    await eventually(() => selected(12), 120_000, "all 12 policies to select 1.4.0");
    const counts = await store.leases.counts();
    expect(counts.replicas).toBe(2);
  }, 400_000);
});
