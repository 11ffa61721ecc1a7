/**
 * Child process for the crash and concurrency tests (run with `node --import tsx`).
 *
 *   writer.ts tags  <db> <repos> <tagsPerRepo>   rewrite every repository's tag set, round after round, forever
 *   writer.ts apply <db> <objects>               re-apply <objects> policies labelled with the round, forever
 *   writer.ts mixed <db> <id> <iterations>       mixed reads and writes, then exit 0
 *   writer.ts secret <db> <id>                   store the secret <id>, its key file created on first use, then exit 0
 *
 * Prints "ready" once the first round is stored ("mixed": then waits for a line on stdin), and
 * "error <name>: <message>" + exit 1 on any failure.
 */
import { createInterface } from "node:readline";
import type { ImagePolicy, ImageRepository } from "../../../src/api/types.js";
import { openSqliteStore } from "../../../src/store/sqlite/store.js";

const [mode, file, a = "0", b = "0"] = process.argv.slice(2);

function repository(name: string): ImageRepository {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name, namespace: "crash" },
    spec: { image: `registry.test/${name}`, interval: "1m" },
  };
}

function labelledPolicy(name: string, round: number): ImagePolicy {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    metadata: { name, namespace: "crash", labels: { round: String(round) } },
    spec: { imageRepositoryRef: { name: "r0" }, policy: { semver: { range: `>=${round}.0.0` } } },
  };
}

async function tags(repos: number, perRepo: number): Promise<never> {
  const store = await openSqliteStore(file!);
  const names = Array.from({ length: repos }, (_, i) => `r${i}`);
  await store.apply(names.map(repository));
  const start = Date.now();
  for (let round = start; ; round++) {
    for (const name of names) {
      const set = Array.from({ length: perRepo }, (_, i) => `${round}-${i}`);
      await store.putTags("crash", name, set, {
        revision: String(round),
        scanTime: new Date().toISOString(),
      });
    }
    if (round === start) process.stdout.write("ready\n");
  }
}

async function apply(objects: number): Promise<never> {
  const store = await openSqliteStore(file!);
  const names = Array.from({ length: objects }, (_, i) => `p${i}`);
  const start = Date.now();
  for (let round = start; ; round++) {
    await store.apply(names.map((n) => labelledPolicy(n, round)));
    if (round === start) process.stdout.write("ready\n");
  }
}

async function waitForLine(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  for await (const _ of rl) break;
  rl.close();
}

async function mixed(id: string, iterations: number): Promise<void> {
  const store = await openSqliteStore(file!);
  await store.apply([repository(`shared`)]);
  process.stdout.write("ready\n");
  await waitForLine();
  let since = await store.currentResourceVersion();
  for (let i = 0; i < iterations; i++) {
    const own = repository(`${id}-${i % 10}`);
    own.spec.interval = `${i}m`;
    await store.apply([
      own,
      { ...repository("shared"), spec: { image: "registry.test/shared", interval: `${i}s` } },
    ]);
    await store.updateStatus("ImageRepository", "crash", own.metadata.name, { observedGeneration: i });
    await store.putTags("crash", "shared", [`${id}-${i}`], { revision: `${id}-${i}`, scanTime: "now" });
    await store.recordEvent({
      kind: "ImageRepository",
      namespace: "crash",
      name: own.metadata.name,
      type: "Normal",
      reason: `Writer-${id}`,
      message: `iteration ${i}`,
      at: new Date().toISOString(),
    });
    await store.list("ImageRepository");
    since = (await store.changesSince(since)).resourceVersion;
  }
  await store.close();
  process.stdout.write("done\n");
}

/** Opens first, so that every writer reaches its first secret (and the missing key file) together. */
async function secret(id: string): Promise<void> {
  const store = await openSqliteStore(file!);
  process.stdout.write("ready\n");
  await waitForLine();
  await store.putSecret("crash", id, { data: { token: `token-of-${id}` } });
  await store.close();
  process.stdout.write("done\n");
}

async function main(): Promise<void> {
  if (mode === "tags") await tags(Number(a), Number(b));
  else if (mode === "apply") await apply(Number(a));
  else if (mode === "mixed") await mixed(a, Number(b));
  else if (mode === "secret") await secret(a);
  else throw new Error(`unknown mode ${mode}`);
}

main().catch((err: unknown) => {
  const e = err as Error;
  process.stdout.write(`error ${e.name}: ${e.message}\n`);
  process.exit(1);
});
