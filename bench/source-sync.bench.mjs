// Objects from Git: `imagectl reconcile source git` syncing 1,000 manifests (500 ImageRepository + 500
// ImagePolicy, one a file) from a bootstrapped source, first into an empty store (clone, read, validate,
// one transaction) and again with nothing changed (fetch, read, validate, compare), against the
// reference `imagectl apply -f` of the same 1,000 files (first apply, then the same again), each a whole
// `bin/imagectl` process on a fresh home. The ratios say what the Git source costs over applying files.
// Usage: npm run build && node bench/run.mjs source-sync   (RUNS=n to change the sample count)
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "bin", "imagectl");
const OBJECTS = 1000;
const RUNS = Number(process.env.RUNS ?? 5);
const GIT_ENV = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "seed",
  GIT_AUTHOR_EMAIL: "s@x",
  GIT_COMMITTER_NAME: "seed",
  GIT_COMMITTER_EMAIL: "s@x",
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r;
}
const git = (args, cwd) => run("git", args, { cwd, env: GIT_ENV });

function manifest(i) {
  const name = `app-${String(i >> 1).padStart(4, "0")}`;
  return i % 2 === 0
    ? `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  image: registry.example/team/${name}\n  interval: 5m\n`
    : `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: ${name}\n  filterTags:\n    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)'\n    extract: '$ts'\n  policy:\n    numerical:\n      order: asc\n`;
}

const source = (url) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
  annotations:
    imagectl.io/sync-path: ./clusters/staging
spec:
  interval: 1h
  ref: {branch: main}
  url: ${url}
`;

async function fixture(root) {
  const work = join(root, "seed");
  const images = join(work, "clusters", "staging", "images");
  await mkdir(images, { recursive: true });
  for (let i = 0; i < OBJECTS; i++) {
    await writeFile(join(images, `${String(i).padStart(4, "0")}.yaml`), manifest(i));
  }
  // A Deployment beside them, as in a real repository: read and skipped by the sync.
  await writeFile(
    join(work, "clusters", "staging", "deploy.yaml"),
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {}\n",
  );
  git(["init", "-q", "--initial-branch=main"], work);
  git(["add", "-A"], work);
  git(["commit", "-q", "-m", "seed"], work);
  const bare = join(root, "repo.git");
  git(["clone", "-q", "--bare", work, bare], root);
  return { bare, images };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timed(args, home) {
  const t0 = performance.now();
  const r = run(bin, [...args, "--home", home], { env: { ...process.env, NO_COLOR: "1" } });
  return { ms: performance.now() - t0, out: r.stdout + r.stderr };
}

const root = await mkdtemp(join(tmpdir(), "imagectl-bench-sync-"));
try {
  const { bare, images } = await fixture(root);
  const sourceFile = join(root, "source.yaml");
  await writeFile(sourceFile, source(`file://${bare}`));
  const samples = { applyFirst: [], applyAgain: [], syncFirst: [], syncAgain: [] };
  for (let n = 0; n < RUNS; n++) {
    const applyHome = join(root, `apply-${n}`);
    const a1 = timed(["apply", "-f", images, "--no-wait"], applyHome);
    const a2 = timed(["apply", "-f", images, "--no-wait"], applyHome);
    if (!a2.out.includes("unchanged")) throw new Error("second apply changed something");
    samples.applyFirst.push(a1.ms);
    samples.applyAgain.push(a2.ms);

    const syncHome = join(root, `sync-${n}`);
    timed(["apply", "-f", sourceFile, "--no-wait"], syncHome);
    const s1 = timed(["reconcile", "source", "git", "flux-system"], syncHome);
    const s2 = timed(["reconcile", "source", "git", "flux-system"], syncHome);
    if (n === 0) {
      const got = run(bin, ["get", "images", "policy", "--home", syncHome, "--no-header"])
        .stdout.trim()
        .split("\n");
      if (got.length !== OBJECTS / 2)
        throw new Error(`sync made ${got.length} policies, want ${OBJECTS / 2}`);
    }
    samples.syncFirst.push(s1.ms);
    samples.syncAgain.push(s2.ms);
    await rm(applyHome, { recursive: true, force: true });
    await rm(syncHome, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const f = (ms) => `${ms.toFixed(0).padStart(6)} ms`;
  console.log(`${OBJECTS} manifests (one object a file), median of ${RUNS} runs, whole processes:`);
  console.log(`  reference  apply -f, first           ${f(m.applyFirst)}`);
  console.log(`  reference  apply -f, again unchanged ${f(m.applyAgain)}`);
  console.log(
    `  imagectl   source sync, first        ${f(m.syncFirst)}   ratio ${(m.syncFirst / m.applyFirst).toFixed(2)}x`,
  );
  console.log(
    `  imagectl   source sync, no change    ${f(m.syncAgain)}   ratio ${(m.syncAgain / m.applyAgain).toFixed(2)}x`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
