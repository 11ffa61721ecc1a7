/**
 * Three `imagectl serve` replicas on one PostgreSQL store, against a real registry and real Git
 * remotes: 300 ImageRepositories, 300 ImagePolicies and 30 ImageUpdateAutomations (in 30
 * namespaces, each with its GitRepository). One replica is SIGKILLed in the middle. Every object
 * is reconciled, no object ran on two replicas at once (from the replicas' lease logs), and each
 * remote ends with exactly the commits the automations recorded: none lost, none doubled.
 *
 * IMAGECTL_REPLICAS_SCALE=0.1 runs a tenth of the objects (for a slow machine); default 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectId } from "../../src/api/object-id.js";
import { KINDS } from "../../src/api/types.js";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, hermeticGit, showFile } from "../support/git-repo.js";
import { eventually, exited, spawnImagectl, spawnServe } from "../support/imagectl-process.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { checkLeaseLog, firstTakeover, type LeaseLine, parseLeaseLog } from "./replicas-log.js";

const SCALE = Number(process.env.IMAGECTL_REPLICAS_SCALE ?? "1");
const NAMESPACES = Math.max(2, Math.round(30 * SCALE));
const PER_NAMESPACE = 10;
const LEASE_MS = 3_000;
const TAGS = ["1.0.0", "1.1.0", "1.2.0"];
const KEY = Buffer.alloc(32, 3).toString("base64");

const ns = (i: number) => `team-${String(i).padStart(2, "0")}`;
const app = (j: number) => `app-${j}`;

function manifests(registry: TestRegistry, git: GitHttpServer): string {
  const docs: string[] = [];
  for (let i = 0; i < NAMESPACES; i++) {
    docs.push(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: ${ns(i)}}
spec: {url: "${git.url(`${ns(i)}.git`)}", interval: 1h, ref: {branch: main}}`);
    for (let j = 0; j < PER_NAMESPACE; j++) {
      docs.push(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: ${app(j)}, namespace: ${ns(i)}}
spec: {image: "${registry.host}/${ns(i)}/${app(j)}", interval: 1h, insecure: true}`);
      docs.push(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: ${app(j)}, namespace: ${ns(i)}}
spec: {imageRepositoryRef: {name: ${app(j)}}, policy: {semver: {range: 1.x}}}`);
    }
    docs.push(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: ${ns(i)}}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {name: bot, email: bot@example.invalid}}
    push: {branch: main}
  update: {path: ".", strategy: Setters}`);
  }
  return `${docs.join("\n---\n")}\n`;
}

function deployment(registry: TestRegistry, i: number): string {
  const lines = ["apiVersion: v1", "kind: List", "items:"];
  for (let j = 0; j < PER_NAMESPACE; j++) {
    lines.push(
      `  - image: ${registry.host}/${ns(i)}/${app(j)}:1.0.0 # {"$imagepolicy": "${ns(i)}:${app(j)}"}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

describe("three replicas on one PostgreSQL store", () => {
  let pg: TestPostgres;
  let registry: TestRegistry;
  let git: GitHttpServer;
  let store: PostgresStore;
  let dir: string;
  let url: string;
  const replicas: ReturnType<typeof spawnServe>[] = [];
  const env = { IMAGECTL_SECRETS_KEY: KEY };

  const serve = (id: string) => {
    const child = spawnServe(
      join(dir, id),
      ["--store", url, "--replica-id", id, "--lease-duration", `${LEASE_MS / 1000}s`, "--concurrent", "4"],
      env,
    );
    replicas.push(child);
    return child;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "imagectl-replicas-"));
    [pg, registry, git] = await Promise.all([
      startPostgres(),
      startRegistry({ mode: "plain" }),
      startGitHttpServer(),
    ]);
    url = pg.url(await pg.createDatabase("replicas"));
    store = await openPostgresStore(parsePostgresUrl(url, {}), { env });
    for (let i = 0; i < NAMESPACES; i++) {
      await git.createBareRepo(`${ns(i)}.git`, { "deploy.yaml": deployment(registry, i) });
      for (let j = 0; j < PER_NAMESPACE; j++) await registry.pushTags(`${ns(i)}/${app(j)}`, TAGS);
    }
  }, 300_000);

  afterAll(async () => {
    for (const r of replicas) if (r.exitCode === null && r.signalCode === null) r.kill("SIGKILL");
    await Promise.all(replicas.map((r) => exited(r)));
    await store?.close();
    await Promise.all([pg?.stop(), registry?.stop(), git?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("share the work, survive a SIGKILLed replica, and push each change exactly once", async () => {
    const [r1, r2, r3] = ["r1", "r2", "r3"].map(serve);
    await Promise.all([r1, r2, r3].map((r) => r!.url()));
    await eventually(
      async () => ((await store.leases.counts()).replicas === 3 ? true : undefined),
      20_000,
      "3 live replicas",
    );

    const file = join(dir, "objects.yaml");
    writeFileSync(file, manifests(registry, git));
    const apply = spawnImagectl(["apply", "-f", file, "--store", url, "--home", join(dir, "cli")], env);
    expect(await exited(apply), apply.output()).toBe(0);

    // SIGKILL r3 once it has done a share of the work (in the middle of the run).
    await eventually(
      async () => (countEnds(r3!.output()) >= NAMESPACES * PER_NAMESPACE * 0.25 ? true : undefined),
      240_000,
      "r3 to reconcile a share of the objects",
    );
    const killedAt = Date.now();
    r3!.kill("SIGKILL");
    await exited(r3!);

    // Every object reconciled at its generation, Ready, by the end.
    const total = NAMESPACES * (2 * PER_NAMESPACE + 2);
    await eventually(
      async () => {
        let done = 0;
        for (const kind of KINDS) {
          for (const o of await store.list(kind)) {
            const ready = o.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
            if (ready && o.status?.observedGeneration === o.metadata.generation) done++;
          }
        }
        return done === total ? true : undefined;
      },
      480_000,
      `all ${total} objects Ready`,
    );
    // The automations have pushed their last change once every file holds the newest tags.
    for (let i = 0; i < NAMESPACES; i++) {
      const bare = join(git.root, `${ns(i)}.git`);
      await eventually(
        async () => ((await showFile(bare, "main", "deploy.yaml")).includes(":1.0.0") ? undefined : true),
        240_000,
        `${ns(i)}: every image updated`,
      );
    }

    // No object ran on two replicas at once; tokens only grow; r3's work was taken over.
    const lines: LeaseLine[] = [r1!, r2!, r3!].flatMap((r) => parseLeaseLog(r.output()));
    const problems = checkLeaseLog(lines, killedAt);
    expect(problems).toEqual([]);
    const takeover = firstTakeover(lines, "r3", killedAt);
    expect(takeover, "a survivor takes over r3's leases").toBeDefined();
    // Two lease periods, plus a second for the survivors' loops on a busy 2-core machine.
    expect(takeover! - killedAt).toBeLessThan(2 * LEASE_MS + 1_000);
    const byReplica = new Map<string, number>();
    for (const l of lines)
      if (l.event === "end") byReplica.set(l.replica, (byReplica.get(l.replica) ?? 0) + 1);
    expect([...byReplica.keys()].sort()).toEqual(["r1", "r2", "r3"]);

    // Each remote: the commits on main are exactly those the automation recorded as pushed, and
    // no two of them make the same change.
    for (let i = 0; i < NAMESPACES; i++) {
      const bare = join(git.root, `${ns(i)}.git`);
      const history = (await hermeticGit(["log", "--format=%H", "main"], bare)).split("\n").filter(Boolean);
      const pushed = (await store.listRuns({ namespace: ns(i), name: "fleet" }, 1000))
        .filter((r) => r.outcome === "pushed")
        .map((r) => r.commit);
      const automationCommits = history.slice(0, -1); // the last one is the initial commit
      expect(new Set(pushed).size, `${ns(i)}: a commit recorded twice`).toBe(pushed.length);
      expect([...automationCommits].sort(), `${ns(i)}: remote commits vs recorded pushes`).toEqual(
        [...(pushed as string[])].sort(),
      );
      const diffs = new Set<string>();
      for (const c of automationCommits) {
        const diff = await hermeticGit(["diff", `${c}~1`, c, "--", "deploy.yaml"], bare);
        const changed = diff
          .split("\n")
          .filter((l) => /^[-+]\s/.test(l))
          .join("\n");
        expect(changed, `${ns(i)}: empty commit ${c}`).not.toBe("");
        expect(diffs.has(changed), `${ns(i)}: commit ${c} repeats a change`).toBe(false);
        diffs.add(changed);
      }
      expect(await headOf(bare, "main")).toBe(
        (await store.mustGet("ImageUpdateAutomation", ns(i), "fleet")).status?.lastPushCommit,
      );
    }

    // `get` names the replica that last reconciled each object.
    const some: ObjectId = { kind: "ImagePolicy", namespace: ns(0), name: app(0) };
    const info = await store.leases.info(some);
    expect(["r1", "r2", "r3"]).toContain(info?.lastReconciledBy);
    const get = spawnImagectl(
      ["get", "image", "policy", app(0), "-n", ns(0), "--store", url, "--home", join(dir, "cli")],
      env,
    );
    expect(await exited(get), get.output()).toBe(0);
    expect(get.output()).toContain(info!.lastReconciledBy!);
  }, 900_000);
});

function countEnds(output: string): number {
  return output.split("\n").filter((l) => l.includes("] reconcile end ")).length;
}
