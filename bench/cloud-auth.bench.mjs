#!/usr/bin/env node
// Benchmark: what `provider: aws` costs a scan once its ECR credentials are cached, against
// `provider: generic` with a username/password secret, in one process with the built reconciler
// (dist/), both scanning the same real docker-registry (TLS, bcrypt htpasswd) under an ECR host
// name through the same CONNECT proxy (spec.proxySecretRef) with the same CA (spec.certSecretRef).
// The credentials come from a loopback ECR endpoint that checks SigV4 (test/support/cloud).
// The same for public.ecr.aws (ECR Public's SDK and endpoint, us-east-1), the same registry
// answering under that name too. Also: the first provider: aws scan of the process (SDK import +
// GetAuthorizationToken) against the first generic one, for each API. Prints medians and ratios. Needs: npm run build, /usr/bin/docker-registry.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";
import { need } from "./daemon-lab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCANS = Number(process.env.BENCH_SCANS ?? 200);
need("/usr/bin/docker-registry", "docker-registry");
need(join(root, "dist/controller/image-repository.js"), "the build (npm run build)");

register();
const { startRegistry } = await import("../test/support/registry.ts");
const { startConnectProxy } = await import("../test/support/registry-proxy.ts");
const { loopbackServers } = await import("../test/support/loopback-servers.ts");
const { startEcrServer } = await import("../test/support/cloud/ecr-server.ts");
const load = (p) => import(pathToFileURL(join(root, "dist", p)).href);
const { reconcileImageRepository } = await load("controller/image-repository.js");
const { openStore } = await load("store/index.js");

const ECR_HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
const PUBLIC_HOST = "public.ecr.aws";
const PASSWORD = `bench-${Math.random().toString(36).slice(2)}`;
const SECRET_KEY = "bench-secret-key";
const registry = await startRegistry({
  mode: "tls-htpasswd",
  dnsNames: [ECR_HOST, PUBLIC_HOST],
  username: "AWS",
  password: PASSWORD,
});
const proxy = await startConnectProxy({
  routes: { [`${ECR_HOST}:443`]: registry.host, [`${PUBLIC_HOST}:443`]: registry.host },
});
const servers = loopbackServers();
const ecr = await startEcrServer(servers, {
  pki: registry.pki,
  region: "us-west-2",
  accessKeyId: "AKIDBENCH",
  secretAccessKey: SECRET_KEY,
  password: PASSWORD,
});
const ecrPublic = await startEcrServer(servers, {
  pki: registry.pki,
  api: "ecr-public",
  region: "us-east-1",
  accessKeyId: "AKIDBENCH",
  secretAccessKey: SECRET_KEY,
  password: PASSWORD,
});
const dir = mkdtempSync(join(tmpdir(), "imagectl-bench-cloud-"));
Object.assign(process.env, {
  AWS_ENDPOINT_URL_ECR: ecr.url,
  AWS_ENDPOINT_URL_ECR_PUBLIC: ecrPublic.url,
  AWS_ACCESS_KEY_ID: "AKIDBENCH",
  AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  AWS_CONFIG_FILE: join(dir, "aws-config"),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, "aws-credentials"),
  AWS_EC2_METADATA_DISABLED: "true",
  NODE_EXTRA_CA_CERTS: registry.caPath,
  DOCKER_CONFIG: join(dir, "docker"),
});
const store = await openStore({ home: join(dir, "home") });
const deps = { store, home: join(dir, "home"), now: () => new Date() };
const stopAll = async () => {
  await store.close();
  await servers.closeAll();
  await proxy.stop();
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
};

try {
  await registry.pushTags(
    "team/app",
    Array.from({ length: 50 }, (_, i) => `1.${i}.0`),
  );
  await store.putSecret("bench", "corp-proxy", { data: { address: proxy.url } });
  await store.putSecret("bench", "registry-ca", { data: { "ca.crt": registry.caPem } });
  await store.putSecret("bench", "pull", { data: { username: "AWS", password: PASSWORD } });
  const common = {
    image: `${ECR_HOST}/team/app`,
    interval: "1h",
    proxySecretRef: { name: "corp-proxy" },
    certSecretRef: { name: "registry-ca" },
  };
  const repo = (name, spec) => ({
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name, namespace: "bench" },
    spec: { ...common, ...spec },
  });
  await store.apply([
    repo("cloud", { provider: "aws" }),
    repo("public", { provider: "aws", image: `${PUBLIC_HOST}/team/app` }),
    repo("generic", { secretRef: { name: "pull" } }),
  ]);

  const scanOnce = async (name) => {
    const obj = await store.get("ImageRepository", "bench", name);
    const t0 = performance.now();
    const out = await reconcileImageRepository(deps, obj, { force: true });
    const ms = performance.now() - t0;
    if (!out.ready) throw new Error(`${name}: ${out.message}`);
    return ms;
  };
  const firstGeneric = await scanOnce("generic");
  const firstCloud = await scanOnce("cloud");
  const firstPublic = await scanOnce("public");
  const times = { cloud: [], public: [], generic: [] };
  // Alternate so that drift (load from other sessions) hits both alike.
  for (let i = 0; i < SCANS; i++) {
    times.cloud.push(await scanOnce("cloud"));
    times.public.push(await scanOnce("public"));
    times.generic.push(await scanOnce("generic"));
  }
  const exchanges = ecr.requests.filter((r) => r.refused === "").length;
  const publicExchanges = ecrPublic.requests.filter((r) => r.refused === "").length;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
  const f = (ms) => `${ms.toFixed(2)} ms`;
  console.log(`scans of 50 tags, ${SCANS} each, alternating (through proxy + TLS + htpasswd):`);
  console.log(
    `  provider: generic + secret       median ${f(median(times.generic))}  p90 ${f(p90(times.generic))}`,
  );
  console.log(
    `  provider: aws, cached credential median ${f(median(times.cloud))}  p90 ${f(p90(times.cloud))}`,
  );
  console.log(
    `  provider: aws, public.ecr.aws    median ${f(median(times.public))}  p90 ${f(p90(times.public))}`,
  );
  console.log(`  ratio aws/generic (median): ${(median(times.cloud) / median(times.generic)).toFixed(2)}x`);
  console.log(
    `  ratio aws public.ecr.aws/generic (median): ${(median(times.public) / median(times.generic)).toFixed(2)}x`,
  );
  console.log(
    `first scan of the process: generic ${f(firstGeneric)}, aws (SDK import + exchange) ${f(firstCloud)}, ` +
      `public.ecr.aws (ECR Public SDK import + exchange) ${f(firstPublic)}`,
  );
  console.log(`GetAuthorizationToken calls over ${SCANS + 1} aws scans: ${exchanges}`);
  console.log(
    `ECR Public GetAuthorizationToken calls over ${SCANS + 1} public.ecr.aws scans: ${publicExchanges}`,
  );
  if (exchanges !== 1) throw new Error(`expected one exchange, saw ${exchanges}`);
  if (publicExchanges !== 1) throw new Error(`expected one ECR Public exchange, saw ${publicExchanges}`);
} finally {
  await stopAll();
}
process.exit(0);
