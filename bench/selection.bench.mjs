#!/usr/bin/env node
// Benchmark: fact-based selection (docs/selection.md) against a loopback docker-registry.
//  1. `--select-newest` over 1,000 candidate tags (1,000 distinct images): a stored policy on a
//     cold cache (every digest read), warm after a rescan (tags re-resolved, no digest read again)
//     and warm on the same scan (nothing read), beside the same policy without --select-newest.
//  2. cosign verification of 100 signed tags: `policy test --verify` (no cache) and a stored
//     policy cold and warm, beside the same selection without verification.
//  3. keyless verification of 100 tags signed keyless (cosign 2.x `.sig` with certificate and
//     Rekor bundle, from the private Sigstore of test/support/private-sigstore.ts, loaded through
//     tsx): the same three cases, beside the key-signed figures of 2 as the reference.
// Whole `imagectl` processes (bin/imagectl); registry requests counted by a counting proxy in
// front of the registry. Prints medians of BENCH_RUNS (default 3) fresh homes, and ratios.
// Needs: npm run build, /usr/bin/docker-registry.
import { spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";
import { startRegistryLab } from "./registry-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NEWEST = 1_000;
const SIGNED = 100;
for (const [path, what] of [
  ["/usr/bin/docker-registry", "Debian docker-registry"],
  [join(root, "dist/cli/launcher/launch.cjs"), "the build (run `npm run build`)"],
]) {
  if (!existsSync(path)) {
    console.error(`cannot run: ${what} (${path}) is missing`);
    process.exit(2);
  }
}

const { dir, dockerConfig, proxyHost, counts, resetCounts, layer, pushBlob, pushImage, pushSigned, pool } =
  await startRegistryLab("imagectl-bench-selection-");
// Fixtures: 1,000 images created one minute apart in shuffled tag order, so semver and created
// order disagree; 100 images, each signed the way cosign signs with a key.
const t0 = performance.now();
const now = Date.now();
const newestLayer = await pushBlob("bench/newest", layer);
const order = Array.from({ length: NEWEST }, (_, i) => (i * 7919) % NEWEST); // a permutation
await pool(NEWEST, (i) =>
  pushImage(
    "bench/newest",
    `1.${Math.floor(i / 100)}.${i % 100}`,
    new Date(now - (order[i] + 60) * 60_000).toISOString(),
    newestLayer,
  ),
);
const newestTag = (() => {
  const i = order.indexOf(0);
  return `1.${Math.floor(i / 100)}.${i % 100}`;
})();
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const keyFile = join(dir, "cosign.pub");
writeFileSync(keyFile, publicKey.export({ type: "spki", format: "pem" }));
const signedLayer = await pushBlob("bench/signed", layer);
await pool(SIGNED, async (i) => {
  const digest = await pushImage(
    "bench/signed",
    `2.0.${i}`,
    new Date(now - 86_400_000).toISOString(),
    signedLayer,
  );
  await pushSigned("bench/signed", digest, (payload) => ({
    "dev.cosignproject.cosign/signature": sign("sha256", payload, privateKey).toString("base64"),
  }));
});
// 100 images signed keyless by one identity (one leaf certificate, one log entry each).
register();
const { privateSigstore } = await import("../test/support/private-sigstore.ts");
const sigstore = privateSigstore();
process.on("exit", () => sigstore.close());
const rootFile = join(dir, "trusted_root.json");
writeFileSync(rootFile, sigstore.trustedRoot());
const leaf = sigstore.leaf({ san: "email:release@example.com", issuer: "https://issuer.example" });
const keylessLayer = await pushBlob("bench/keyless", layer);
await pool(SIGNED, async (i) => {
  const digest = await pushImage(
    "bench/keyless",
    `3.0.${i}`,
    new Date(now - 86_400_000).toISOString(),
    keylessLayer,
  );
  await pushSigned("bench/keyless", digest, (payload) => sigstore.cosignLayer(payload, leaf));
});
const keylessFlags = [
  "--verify",
  "cosign",
  "--verify-identity",
  "release@example.com",
  "--verify-issuer",
  "https://issuer.example",
];
console.log(
  `fixtures: ${NEWEST} images + ${SIGNED} signed images + ${SIGNED} keyless-signed images pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const imagectl = join(root, "bin/imagectl");
// Asynchronous: the counting proxy runs in this process and must keep answering meanwhile.
async function run(home, args) {
  resetCounts();
  const started = performance.now();
  const child = spawn(imagectl, ["--home", home, ...args], {
    cwd: root,
    env: { ...process.env, DOCKER_CONFIG: dockerConfig, XDG_CACHE_HOME: join(dir, "cache") },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const code = await new Promise((resolve) => child.on("close", resolve));
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`imagectl ${args.join(" ")} failed (${code}): ${stderr}`);
  return { ms, requests: { ...counts }, stdout };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
async function get(home, name) {
  return JSON.parse((await run(home, ["get", "image", "policy", name, "-o", "json"])).stdout).status.latestRef
    .tag;
}

/** `create image repository NAME` over bench/NAME, scanned hourly. */
const createRepository = (home, name) =>
  run(home, [
    "create",
    "image",
    "repository",
    name,
    "--image",
    `${proxyHost}/bench/${name}`,
    "--interval",
    "1h",
  ]);
/** `create image policy NAME` over repository NAME: every tag, the newest image first, then FLAGS. */
const createNewestPolicy = (home, name, flags = []) =>
  run(home, [
    "create",
    "image",
    "policy",
    name,
    "--image-ref",
    name,
    "--select-semver",
    "*",
    "--select-newest",
    ...flags,
  ]);
/** `policy test` over every tag of bench/REPO, newest first, with FLAGS: fails unless every tag verified. */
async function testEveryTagVerified(home, repo, flags) {
  const r = await run(home, [
    "policy",
    "test",
    "--image",
    `${proxyHost}/bench/${repo}`,
    "--select-semver",
    "*",
    "--select-newest",
    ...flags,
    "--max-reads",
    "1000",
    "-o",
    "json",
  ]);
  const judged = JSON.parse(r.stdout).candidates;
  if (judged.filter((c) => c.verdict !== "selected" && c.verdict !== "eligible").length)
    throw new Error(`a ${repo} tag did not verify`);
  return r;
}

const rows = {};
const add = (name, r) => {
  rows[name] ??= [];
  rows[name].push(r);
};
for (let k = 0; k < RUNS; k++) {
  const home = join(dir, `home-${k}`);
  await createRepository(home, "newest");
  add(
    "reference: semver policy, no facts",
    await run(home, ["create", "image", "policy", "plain", "--image-ref", "newest", "--select-semver", "*"]),
  );
  add("--select-newest, cold cache", await createNewestPolicy(home, "newest"));
  const picked = await get(home, "newest");
  if (picked !== newestTag) throw new Error(`--select-newest picked ${picked}, expected ${newestTag}`);
  add("--select-newest, warm, same scan", await run(home, ["reconcile", "image", "policy", "newest"]));
  // An unchanged rescan wakes no policy (as in Flux); the next policy reconcile sees the new scan
  // and resolves every tag again (HEAD), reading no digest it knows.
  await run(home, ["reconcile", "image", "repository", "newest"]);
  add(
    "--select-newest after a rescan, warm cache",
    await run(home, ["reconcile", "image", "policy", "newest"]),
  );

  await createRepository(home, "signed");
  add(
    "reference: policy test --image, no verification",
    await run(home, ["policy", "test", "--image", `${proxyHost}/bench/signed`, "--select-semver", "*"]),
  );
  const verified = await testEveryTagVerified(home, "signed", [
    "--verify",
    "cosign",
    "--verify-key",
    keyFile,
  ]);
  add(`policy test --verify over ${SIGNED} signed tags (+ --select-newest: every tag verified)`, verified);
  add(
    "stored --verify policy, cold cache",
    await createNewestPolicy(home, "signed", ["--verify", "cosign", "--verify-key", keyFile]),
  );
  await run(home, ["reconcile", "image", "repository", "signed"]);
  add(
    "stored --verify policy after a rescan, warm cache",
    await run(home, ["reconcile", "image", "policy", "signed"]),
  );

  const keyless = await testEveryTagVerified(home, "keyless", [...keylessFlags, "--trusted-root", rootFile]);
  add(`policy test keyless over ${SIGNED} keyless-signed tags (+ --select-newest)`, keyless);
  await run(home, [
    "create",
    "secret",
    "generic",
    "sigstore-root",
    "--from-file",
    `trusted_root.json=${rootFile}`,
  ]);
  await createRepository(home, "keyless");
  add(
    "stored keyless policy, cold cache",
    await createNewestPolicy(home, "keyless", [
      ...keylessFlags,
      "--verify-trusted-root-secret-ref",
      "sigstore-root",
    ]),
  );
  await run(home, ["reconcile", "image", "repository", "keyless"]);
  add(
    "stored keyless policy after a rescan, warm cache",
    await run(home, ["reconcile", "image", "policy", "keyless"]),
  );
}

console.log(
  `\nfact-based selection (node ${process.version}), median of ${RUNS} fresh homes; requests counted at the registry`,
);
const table = Object.entries(rows).map(([name, rs]) => {
  const m = median(rs.map((r) => r.ms));
  const last = rs[rs.length - 1].requests;
  return {
    case: name,
    ms: Math.round(m),
    requests: last.total,
    HEAD: last.tagHead,
    "GET manifest": last.manifestGet,
    "GET blob": last.blobGet,
  };
});
console.table(table);
const ms = (name) => table.find((r) => r.case === name).ms;
const ratio = (a, b) => (ms(a) / ms(b)).toFixed(2);
console.log(
  `cold --select-newest / reference policy: ${ratio("--select-newest, cold cache", "reference: semver policy, no facts")}x`,
);
console.log(
  `warm (rescan) / cold --select-newest:    ${ratio("--select-newest after a rescan, warm cache", "--select-newest, cold cache")}x`,
);
console.log(
  `warm (same scan) / reference policy:     ${ratio("--select-newest, warm, same scan", "reference: semver policy, no facts")}x`,
);
console.log(
  `policy test --verify / without:           ${ratio(`policy test --verify over ${SIGNED} signed tags (+ --select-newest: every tag verified)`, "reference: policy test --image, no verification")}x`,
);
console.log(
  `policy test keyless / key (reference):    ${ratio(`policy test keyless over ${SIGNED} keyless-signed tags (+ --select-newest)`, `policy test --verify over ${SIGNED} signed tags (+ --select-newest: every tag verified)`)}x`,
);
console.log(
  `stored keyless / key, cold (reference):   ${ratio("stored keyless policy, cold cache", "stored --verify policy, cold cache")}x`,
);
console.log(
  `stored keyless / key, warm (reference):   ${ratio("stored keyless policy after a rescan, warm cache", "stored --verify policy after a rescan, warm cache")}x`,
);
process.exit(0);
