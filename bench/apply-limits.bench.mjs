#!/usr/bin/env node
import { isUtf8 } from "node:buffer";
// What the input limits cost on a normal manifest: 2,000 objects (500 each of ImageRepository,
// ImagePolicy, GitRepository, ImageUpdateAutomation, with labels and annotations) read the way
// `apply -f` reads them (parseManifestBytes: limits, YAML, validation), against the limit checks
// alone (UTF-8, the text scan, the YAML tree walk, the object size checks) and against yaml's bare
// parse of the same text, in this process. Then whole `imagectl apply` processes on the same file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const OBJECTS = 2000;
const RUNS = 7;
const api = await import(pathToFileURL(join(root, "dist/api/index.js")).href);
const { checkYamlDocument } = await import(pathToFileURL(join(root, "dist/api/yaml-checks.js")).href);

function manifest() {
  const docs = [];
  const meta = (name) =>
    `metadata:\n  name: ${name}\n  namespace: apps\n  labels:\n    app.kubernetes.io/name: ${name}\n    team: shop\n  annotations:\n    owner: "platform team <platform@example.com>"\n`;
  for (let i = 0; i < OBJECTS / 4; i++) {
    docs.push(
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n${meta(`app-${i}`)}spec:\n  image: ghcr.io/org/app-${i}\n  interval: 5m\n  exclusionList:\n  - "^.*\\\\.sig$"\n`,
    );
    docs.push(
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n${meta(`app-${i}`)}spec:\n  imageRepositoryRef:\n    name: app-${i}\n  filterTags:\n    pattern: '^v(?P<ver>[0-9]+\\.[0-9]+\\.[0-9]+)$'\n    extract: '$ver'\n  policy:\n    semver:\n      range: ">=1.0.0 <2.0.0"\n`,
    );
    docs.push(
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n${meta(`fleet-${i}`)}spec:\n  interval: 1m\n  url: https://git.example.com/org/fleet-${i}.git\n  ref:\n    branch: main\n  secretRef:\n    name: fleet-auth\n`,
    );
    docs.push(
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\n${meta(`auto-${i}`)}spec:\n  interval: 30m\n  sourceRef:\n    kind: GitRepository\n    name: fleet-${i}\n  git:\n    checkout:\n      ref:\n        branch: main\n    commit:\n      author:\n        name: fluxcdbot\n        email: fluxcdbot@users.noreply.github.com\n      messageTemplate: "{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}"\n    push:\n      branch: main\n  update:\n    path: ./clusters/prod\n    strategy: Setters\n`,
    );
  }
  return `${docs.join("---\n")}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn) {
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    globalThis.gc?.();
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

const text = manifest();
const bytes = Buffer.from(text);
console.log(`manifest: ${OBJECTS} objects, ${(bytes.length / 1024).toFixed(0)} KiB; median of ${RUNS} runs`);

// The limit checks alone, on what parseManifestBytes checks: bytes, text, each tree, each object.
const docs = parseAllDocuments(text, { version: "1.1", uniqueKeys: false });
const values = docs.map((d) => d.toJS());
const full = time(() => api.parseManifestBytes(bytes, "bench.yaml", { defaultNamespace: "apps" }));
const checks = time(() => {
  if (!isUtf8(bytes)) throw new Error("not UTF-8");
  if (api.checkManifestText(text).length) throw new Error("limit");
  for (const d of docs) if (checkYamlDocument(d).length) throw new Error("tree");
  for (const v of values) if (api.checkObjectLimits(v).length) throw new Error("object");
});
const yamlOnly = time(() => {
  for (const d of parseAllDocuments(text, { version: "1.1", uniqueKeys: false })) d.toJS();
});
const yamlUnique = time(() => {
  for (const d of parseAllDocuments(text, { version: "1.1", uniqueKeys: true })) d.toJS();
});
console.log(`parseManifestBytes (limits + YAML + validation): ${full.toFixed(1)} ms`);
console.log(
  `  limit checks alone:                             ${checks.toFixed(2)} ms  (${((100 * checks) / full).toFixed(1)}% of it)`,
);
console.log(
  `reference: yaml parse + toJS, uniqueKeys off:     ${yamlOnly.toFixed(1)} ms  (ratio full/yaml ${(full / yamlOnly).toFixed(2)})`,
);
console.log(
  `reference: yaml parse + toJS, uniqueKeys on (the check the tree walk replaces): ${yamlUnique.toFixed(1)} ms`,
);

// Whole processes: the installed command applying the file to a fresh home, without reconciling.
const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-apply-"));
try {
  const file = join(dir, "apps.yaml");
  writeFileSync(file, text);
  const wall = [];
  for (let i = 0; i < 3; i++) {
    const home = join(dir, `home-${i}`);
    const t = performance.now();
    const r = spawnSync(join(root, "bin/imagectl"), ["--home", home, "apply", "--no-wait", "-f", file], {
      encoding: "utf8",
    });
    wall.push(performance.now() - t);
    if (r.status !== 0) {
      console.error(r.stderr.slice(0, 2000));
      process.exit(1);
    }
  }
  console.log(
    `imagectl apply --no-wait -f (${OBJECTS} objects, new home): ${median(wall).toFixed(0)} ms per process`,
  );
  console.log(
    `  of which the limit checks: ${checks.toFixed(2)} ms (${((100 * checks) / median(wall)).toFixed(2)}%)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
