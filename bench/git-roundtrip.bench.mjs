// Git round trip: one whole imagectl automation run (warm cache: fetch + reset, setters, commit, push over
// smart HTTP) against a shell baseline (`git clone --depth 1`, `sed -i` of the same lines, commit, push),
// side by side on a 5,000-file repository with 500 image markers. Also reports a cold run (first clone).
// Usage: npm run build && node bench/run.mjs git-roundtrip   (RUNS=n to change the sample count)
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "dist");
const FILES = 5000;
const MARKERS = 500;
const RUNS = Number(process.env.RUNS ?? 5);
const GIT_ENV = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

function git(args, cwd) {
  const r = spawnSync("git", args, {
    cwd,
    env: {
      ...GIT_ENV,
      GIT_AUTHOR_NAME: "seed",
      GIT_AUTHOR_EMAIL: "s@x",
      GIT_COMMITTER_NAME: "seed",
      GIT_COMMITTER_EMAIL: "s@x",
    },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

const markerFile = (i) =>
  `apps/team-${String(Math.floor(i / 100)).padStart(2, "0")}/svc-${String(i % 100).padStart(2, "0")}.yaml`;

async function makeFixture(root) {
  const work = join(root, "seed");
  for (let i = 0; i < FILES; i++) {
    const path = join(work, markerFile(i));
    await mkdir(dirname(path), { recursive: true });
    // Every 10th file carries a marker: 500 markers spread over the whole tree.
    const image =
      i % (FILES / MARKERS) === 0
        ? `registry.example/app-${i}:1.0.0 # {"$imagepolicy": "flux-system:app-${i}"}`
        : `registry.example/static-${i}:1.0.0`;
    await writeFile(
      path,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-${i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image}\n`,
    );
  }
  git(["init", "-q", "--initial-branch=main"], work);
  git(["add", "-A"], work);
  git(["commit", "-q", "-m", "seed"], work);
  const bare = join(root, "srv", "repo.git");
  git(["clone", "-q", "--bare", work, bare], root);
  git(["config", "http.receivepack", "true"], bare);
  git(["gc", "-q"], bare);
  await rm(work, { recursive: true, force: true });
  return bare;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function loadApply() {
  const updatePath = join(dist, "update", "index.js");
  const markers = Array.from({ length: MARKERS }, (_, k) => k * (FILES / MARKERS));
  if (existsSync(updatePath)) {
    const { updateWithSetters } = await import(pathToFileURL(updatePath).href);
    if (typeof updateWithSetters === "function") {
      return {
        kind: "updateWithSetters (dist/update)",
        make: (tag) => async (workTree) => {
          const refs = new Map(
            markers.map((i) => [`flux-system:app-${i}`, { name: `registry.example/app-${i}`, tag }]),
          );
          const r = await updateWithSetters(workTree, refs, { write: true });
          return r.files.length ? { message: `Update images to ${tag}` } : null;
        },
      };
    }
  }
  // Fallback while src/update is not built: the same 500 line edits by string replacement over every file.
  return {
    kind: "string-replacement fallback (dist/update/index.js not found)",
    make: (tag) => async (workTree) => {
      let changed = 0;
      for (const team of await readdir(join(workTree, "apps"))) {
        for (const f of await readdir(join(workTree, "apps", team))) {
          const p = join(workTree, "apps", team, f);
          const text = await readFile(p, "utf8");
          if (!text.includes("$imagepolicy")) continue;
          const next = text.replace(/(image: registry\.example\/app-\d+:)[^ ]+/, `$1${tag}`);
          if (next !== text) {
            await writeFile(p, next);
            changed++;
          }
        }
      }
      return changed ? { message: `Update images to ${tag}` } : null;
    },
  };
}

const BASELINE = `set -euo pipefail
url=$1; wd=$2; tag=$3; shift 3
git clone -q --depth 1 --branch main "$url" "$wd"
cd "$wd"
sed -i -E "s#(image: registry\\.example/app-[0-9]+:)[^ ]+#\\1$tag#" "$@"
git -c user.name=bot -c user.email=bot@example.invalid commit -q -am "Update images to $tag"
git push -q origin HEAD:main
`;

async function main() {
  const gitIndex = join(dist, "git", "index.js");
  if (!existsSync(gitIndex)) {
    console.error("dist/git/index.js missing: run `npm run build` first");
    process.exit(2);
  }
  const { runAutomation } = await import(pathToFileURL(gitIndex).href);
  const apply = await loadApply();
  const root = await mkdtemp(join(tmpdir(), "imagectl-bench-git-"));
  // The suite's smart-HTTP server (git http-backend as CGI), in its own process so that serving
  // never waits on this one's synchronous timing runs.
  const serveScript = `const { startGitHttpServer } = await import(${JSON.stringify(pathToFileURL(join(here, "..", "test/support/git-http-server.ts")).href)});
const s = await startGitHttpServer({ root: process.argv[1] });
process.stdout.write(new URL(s.url("x")).port + "\\n");`;
  const server = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", serveScript, join(root, "srv")],
    {
      cwd: join(here, ".."),
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    const t0 = performance.now();
    await makeFixture(root);
    console.log(
      `fixture: ${FILES} YAML files, ${MARKERS} markers, built in ${Math.round(performance.now() - t0)} ms`,
    );
    const port = await new Promise((resolve, reject) => {
      server.stdout.once("data", (b) => resolve(Number.parseInt(String(b), 10)));
      server.once("exit", () => reject(new Error("git http server exited")));
    });
    const url = `http://127.0.0.1:${port}/repo.git`;
    const baselineScript = join(root, "baseline.sh");
    await writeFile(baselineScript, BASELINE);
    const markerPaths = Array.from({ length: MARKERS }, (_, k) => markerFile(k * (FILES / MARKERS)));
    console.log(`apply: ${apply.kind}`);

    let n = 0;
    const opts = (cacheDir) => ({
      cacheDir,
      url,
      checkoutBranch: "main",
      author: { name: "bot", email: "bot@example.invalid" },
    });
    const imagectlRun = async (cacheDir) => {
      const tag = `2.0.${++n}`;
      const t = performance.now();
      const r = await runAutomation(opts(cacheDir), apply.make(tag));
      const ms = performance.now() - t;
      if (!r.pushed || r.filesChanged.length !== MARKERS) {
        throw new Error(`imagectl run changed ${r.filesChanged.length} files, expected ${MARKERS}`);
      }
      return ms;
    };
    const baselineRun = async () => {
      const tag = `2.0.${++n}`;
      const wd = join(root, `baseline-${n}`);
      const t = performance.now();
      const r = spawnSync("bash", [baselineScript, url, wd, tag, ...markerPaths], {
        env: GIT_ENV,
        encoding: "utf8",
      });
      const ms = performance.now() - t;
      if (r.status !== 0) throw new Error(`baseline failed: ${r.stderr}`);
      await rm(wd, { recursive: true, force: true });
      return ms;
    };

    const cold = [];
    const coldCache = join(root, "cache-cold");
    cold.push(await imagectlRun(coldCache)); // first clone
    const warmCache = join(root, "cache-warm");
    await imagectlRun(warmCache); // prime the warm cache (not measured)
    const warm = [];
    const base = [];
    for (let i = 0; i < RUNS; i++) {
      base.push(await baselineRun());
      warm.push(await imagectlRun(warmCache));
    }
    const fmt = (xs) => xs.map((x) => Math.round(x)).join(", ");
    console.log(
      `baseline (clone --depth 1 + sed + commit + push) ms: ${fmt(base)}  median ${Math.round(median(base))}`,
    );
    console.log(
      `imagectl warm run (fetch + reset + apply + commit + push) ms: ${fmt(warm)}  median ${Math.round(median(warm))}`,
    );
    console.log(`imagectl cold run (first clone) ms: ${fmt(cold)}`);
    console.log(
      `ratio warm/baseline (median): ${(median(warm) / median(base)).toFixed(2)}x  (target <= 1.5x)`,
    );
    console.log(`ratio cold/baseline: ${(cold[0] / median(base)).toFixed(2)}x`);
  } finally {
    server.kill();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
