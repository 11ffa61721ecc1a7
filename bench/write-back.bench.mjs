#!/usr/bin/env node
// Write-back beyond YAML: the setters over a checkout of 1,000 mixed files (YAML, Dockerfiles,
// .env, Terraform) against the same run over 1,000 YAML files (what was read before), and the
// dry-run preview of an automation (sync, setters, diff, reset) against a real run that commits
// and pushes the same change to a local bare remote, side by side in this run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const FILES = 1000;
const RUNS = 5;

async function load() {
  const dist = join(root, "dist");
  if (existsSync(join(dist, "update/index.js")))
    return {
      update: await import(pathToFileURL(join(dist, "update/index.js")).href),
      git: await import(pathToFileURL(join(dist, "git/index.js")).href),
      via: "dist/",
    };
  const { register } = await import("tsx/esm/api");
  register();
  return {
    update: await import(pathToFileURL(join(root, "src/update/index.ts")).href),
    git: await import(pathToFileURL(join(root, "src/git/index.ts")).href),
    via: "tsx (src/)",
  };
}

const M = (i) => `# {"$imagepolicy": "flux-system:app${i % 50}"}`;
const yaml = (i) =>
  [
    "apiVersion: apps/v1",
    "kind: Deployment",
    `metadata: {name: app-${i}, namespace: default}`,
    "spec:",
    "  template:",
    "    spec:",
    "      containers:",
    "      - name: app",
    `        image: ghcr.io/org/app${i % 50}:1.0.0 ${M(i)}`,
    "        ports: [{containerPort: 8080}]",
    "",
  ].join("\n");
const dockerfile = (i) =>
  `# syntax=docker/dockerfile:1\n${M(i)}\nFROM ghcr.io/org/app${i % 50}:1.0.0 AS base\nRUN make\nCOPY . /src\nCMD ["app"]\n`;
const envFile = (i) => `LOG_LEVEL=info\nAPP_IMAGE=ghcr.io/org/app${i % 50}:1.0.0 ${M(i)}\nPORT=8080\n`;
const hcl = (i) =>
  `resource "kubernetes_deployment" "app${i}" {\n  metadata { name = "app-${i}" }\n  image = "ghcr.io/org/app${i % 50}:1.0.0" ${M(i)}\n}\n`;

/** `mixed`: 40% YAML, 20% each Dockerfile/.env/HCL; otherwise all YAML. Every file has one marker. */
async function generate(dir, mixed) {
  const writes = [];
  for (let i = 0; i < FILES; i++) {
    const d = join(dir, `apps/svc${i}`);
    await mkdir(d, { recursive: true });
    const kind = mixed ? i % 5 : 0;
    const [name, text] =
      kind <= 1
        ? ["deploy.yaml", yaml(i)]
        : kind === 2
          ? ["Dockerfile", dockerfile(i)]
          : kind === 3
            ? [".env", envFile(i)]
            : ["main.tf", hcl(i)];
    writes.push(writeFile(join(d, name), text));
  }
  await Promise.all(writes);
}

const refs = new Map(
  Array.from({ length: 50 }, (_, i) => [
    `flux-system:app${i}`,
    { name: `ghcr.io/org/app${i}`, tag: "1.0.1" },
  ]),
);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const git = (args, cwd) => {
  const r = spawnSync("git", args, {
    cwd,
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "b",
      GIT_AUTHOR_EMAIL: "b@x",
      GIT_COMMITTER_NAME: "b",
      GIT_COMMITTER_EMAIL: "b@x",
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
};

const { update, git: gitLib, via } = await load();
const work = await mkdtemp(join(tmpdir(), "write-back-bench-"));
try {
  const mixed = join(work, "mixed");
  const yamlOnly = join(work, "yaml-only");
  await generate(mixed, true);
  await generate(yamlOnly, false);
  const times = { mixed: [], yaml: [] };
  let changed = { mixed: 0, yaml: 0 };
  for (let r = 0; r < RUNS; r++) {
    for (const [key, src] of [
      ["yaml", yamlOnly],
      ["mixed", mixed],
    ]) {
      const dir = join(work, `${key}-${r}`);
      await cp(src, dir, { recursive: true });
      global.gc?.();
      const t = performance.now();
      const res = await update.updateWithSetters(dir, refs);
      times[key].push(performance.now() - t);
      changed = { ...changed, [key]: res.files.length };
      if (res.problems.length) throw new Error(`${key}: ${res.problems[0].message}`);
    }
  }
  if (changed.mixed !== FILES || changed.yaml !== FILES)
    throw new Error(`not every file changed: ${JSON.stringify(changed)}`);
  const m = median(times.mixed);
  const y = median(times.yaml);
  console.log(`write-back via ${via}; ${FILES} files, one marker each; median of ${RUNS}`);
  console.log(`setters, mixed checkout (400 YAML, 200 Dockerfile, 200 .env, 200 .tf): ${m.toFixed(1)} ms`);
  console.log(`setters, YAML-only checkout (1,000 YAML, reference):                   ${y.toFixed(1)} ms`);
  console.log(`ratio mixed/YAML-only: ${(m / y).toFixed(2)}x`);

  // Preview against a real run over a bare remote holding the mixed checkout.
  const seed = join(work, "seed");
  await cp(mixed, seed, { recursive: true });
  git(["init", "-q", "-b", "main"], seed);
  git(["add", "-A"], seed);
  git(["commit", "-qm", "seed"], seed);
  const preview = [];
  const push = [];
  for (let r = 0; r < RUNS; r++) {
    const bare = join(work, `remote-${r}.git`);
    git(["clone", "-q", "--bare", seed, bare], work);
    const opts = {
      cacheDir: join(work, `cache-${r}`),
      url: `file://${bare}`,
      checkoutBranch: "main",
      author: { name: "bench", email: "bench@example.invalid" },
    };
    const apply = async (tree) => {
      const res = await update.updateWithSetters(tree, refs);
      return res.files.length ? { message: "bump" } : null;
    };
    await gitLib.previewAutomation(opts, apply); // warm the cached clone, as a daemon has it
    let t = performance.now();
    const p = await gitLib.previewAutomation(opts, apply);
    preview.push(performance.now() - t);
    if (!p.message) throw new Error("preview found nothing to change");
    t = performance.now();
    const res = await gitLib.runAutomation(opts, apply);
    push.push(performance.now() - t);
    if (!res.pushed) throw new Error("run pushed nothing");
  }
  const pv = median(preview);
  const pu = median(push);
  console.log(`dry-run preview (fetch, setters, diff of ${FILES} files, reset): ${pv.toFixed(0)} ms`);
  console.log(`real run (fetch, setters, commit, push; reference):           ${pu.toFixed(0)} ms`);
  console.log(`ratio preview/run: ${(pv / pu).toFixed(2)}x`);
} finally {
  await rm(work, { recursive: true, force: true });
}
