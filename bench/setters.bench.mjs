#!/usr/bin/env node
// Setters over a generated checkout of 5,000 YAML files (500 markers), against `grep | xargs sed -i`
// editing the same marked lines, measured side by side in this run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const FILES = 5000;
const MARKED_EVERY = 10; // 500 files carry a marker
const RUNS = 3;

async function loadSetters() {
  const dist = join(root, "dist/update/index.js");
  if (existsSync(dist)) return { mod: await import(pathToFileURL(dist).href), via: "dist/" };
  // dist/ is only built when the whole project type-checks; fall back to the sources via tsx.
  const { register } = await import("tsx/esm/api");
  register();
  return { mod: await import(pathToFileURL(join(root, "src/update/index.ts")).href), via: "tsx (src/)" };
}

// A third document with a block scalar puts a file outside the line-scan subset (yaml path).
const BLOCK_SCALAR_DOC = [
  "---",
  "apiVersion: v1",
  "kind: ConfigMap",
  "data:",
  "  run.sh: |",
  "    echo start",
  "",
];

function deployment(i, marked, yamlPath = false) {
  const marker = marked ? ` # {"$imagepolicy": "flux-system:app${i % 50}"}` : "";
  const lines = [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: app-${i}`,
    "  namespace: default",
    "  labels:",
    `    app.kubernetes.io/name: app-${i}`,
    "    app.kubernetes.io/part-of: shop",
    "spec:",
    "  replicas: 2",
    "  selector:",
    "    matchLabels:",
    `      app: app-${i}`,
    "  template:",
    "    metadata:",
    "      labels:",
    `        app: app-${i}`,
    "    spec:",
    "      containers:",
    `      - name: app`,
    `        image: ghcr.io/org/app${i % 50}:1.0.0${marker}`,
    "        ports:",
    "        - containerPort: 8080",
    "          name: http",
    "        env:",
    "        - name: LOG_LEVEL",
    '          value: "info"',
    "        resources:",
    "          limits: {cpu: 500m, memory: 256Mi}",
    "          requests: {cpu: 100m, memory: 128Mi}",
    "        readinessProbe:",
    "          httpGet: {path: /ready, port: http}",
    "        args:",
    "        - --config=/etc/app/config.yaml",
    "        volumeMounts:",
    "        - name: config",
    "          mountPath: /etc/app",
    "      volumes:",
    "      - name: config",
    "        configMap:",
    `          name: app-${i}`,
    "---",
    "apiVersion: v1",
    "kind: Service",
    "metadata:",
    `  name: app-${i}`,
    "spec:",
    "  ports:",
    "  - port: 80",
    "    targetPort: http",
    "",
  ];
  if (yamlPath && marked) lines.splice(-1, 1, ...BLOCK_SCALAR_DOC);
  return lines.join(i % 5 === 0 ? "\r\n" : "\n");
}

async function generate(dir, yamlPath = false) {
  for (let d = 0; d < 50; d++) await mkdir(join(dir, `apps/team${d}`), { recursive: true });
  const writes = [];
  for (let i = 0; i < FILES; i++) {
    writes.push(
      writeFile(
        join(dir, `apps/team${i % 50}/app-${i}.yaml`),
        deployment(i, i % MARKED_EVERY === 0, yamlPath),
      ),
    );
    if (writes.length >= 256) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

const refs = new Map(
  Array.from({ length: 50 }, (_, i) => [
    `flux-system:app${i}`,
    { name: `ghcr.io/org/app${i}`, tag: "1.0.1" },
  ]),
);
const SED = String.raw`grep -rl --include='*.yaml' '\$imagepolicy' . | xargs sed -i -E 's/^( *image: [^ :]+:)[^ ]+( # \{"\$imagepolicy")/\11.0.1\2/'`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const { mod, via } = await loadSetters();
const work = await mkdtemp(join(tmpdir(), "setters-bench-"));
try {
  const pristine = join(work, "pristine");
  await generate(pristine);
  // Same repository, but every marked file needs the full yaml parse (the general path).
  const pristineYaml = join(work, "pristine-yaml");
  await generate(pristineYaml, true);
  const first = [];
  const noChange = [];
  const sed = [];
  const yamlFirst = [];
  let changedFiles = 0;
  for (let r = 0; r < RUNS; r++) {
    const a = join(work, `ours-${r}`);
    const b = join(work, `sed-${r}`);
    await cp(pristine, a, { recursive: true });
    await cp(pristine, b, { recursive: true });
    global.gc?.();
    let t = performance.now();
    const res = await mod.updateWithSetters(a, refs);
    first.push(performance.now() - t);
    changedFiles = res.files.length;
    t = performance.now();
    const again = await mod.updateWithSetters(a, refs);
    noChange.push(performance.now() - t);
    if (again.files.length !== 0) throw new Error("second run changed files");
    t = performance.now();
    const s = spawnSync("bash", ["-c", SED], { cwd: b, stdio: ["ignore", "ignore", "inherit"] });
    sed.push(performance.now() - t);
    if (s.status !== 0) throw new Error(`sed reference failed with status ${s.status}`);
    const diff = spawnSync("diff", ["-r", a, b], { stdio: "ignore" });
    if (diff.status !== 0) console.log("note: sed output differs from updateWithSetters output");
    const c = join(work, `ours-yaml-${r}`);
    await cp(pristineYaml, c, { recursive: true });
    global.gc?.();
    t = performance.now();
    const viaYaml = await mod.updateWithSetters(c, refs);
    yamlFirst.push(performance.now() - t);
    if (viaYaml.files.length !== changedFiles)
      throw new Error("yaml-path run changed a different number of files");
  }
  const f = median(first);
  const n = median(noChange);
  const s = median(sed);
  console.log(
    `setters via ${via}; ${FILES} files, ${FILES / MARKED_EVERY} markers, ${changedFiles} files changed; median of ${RUNS}`,
  );
  console.log(`updateWithSetters, first run (changes): ${f.toFixed(0)} ms   (target < 1000 ms)`);
  console.log(`updateWithSetters, no-change run:       ${n.toFixed(0)} ms`);
  console.log(`grep | xargs sed -i (reference):        ${s.toFixed(0)} ms`);
  console.log(
    `first run, marked files outside the line-scan subset (yaml path): ${median(yamlFirst).toFixed(0)} ms`,
  );
  console.log(`ratio first/sed: ${(f / s).toFixed(2)}x   no-change/sed: ${(n / s).toFixed(2)}x`);
} finally {
  await rm(work, { recursive: true, force: true });
}
