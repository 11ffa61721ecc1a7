// provider: aws (and gcp) through what ships: bin/imagectl and the CLI bundle, which keeps the
// cloud SDKs out and requires them from node_modules on first use (scripts/bundle.mjs). `run
// --once`, `check` and `serve` each mint ECR credentials at the loopback ECR endpoint (SigV4
// checked) and scan the real docker-registry under an ECR host name through the object's proxy;
// `run --once` does the same with @aws-sdk/client-ecr-public for public.ecr.aws, with
// google-auth-library and a loopback metadata server, and with @azure/identity's managed
// identity and ACR's exchange on a front for the registry host.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageRepository } from "../../src/api/types.js";
import { openStore } from "../../src/store/index.js";
import {
  refreshTokenWithExp,
  startAcrFront,
  startAppServiceIdentity,
} from "../support/cloud/azure-identity-server.js";
import { type EcrServer, startEcrServer } from "../support/cloud/ecr-server.js";
import { startGceMetadataServer } from "../support/cloud/gce-metadata-server.js";
import { eventually, exited, runImagectl, spawnServe } from "../support/imagectl-process.js";
import { type LoopbackServers, loopbackServers } from "../support/loopback-servers.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startConnectProxy, type TestProxy } from "../support/registry-proxy.js";

const ECR_HOST = "123456789012.dkr.ecr.eu-central-1.amazonaws.com";
const PASSWORD = `ecr-${Math.random().toString(36).slice(2)}`;
const SECRET_KEY = `cli-secret-${Math.random().toString(36).slice(2)}`;

let registry: TestRegistry;
let proxy: TestProxy;
let servers: LoopbackServers;
let ecr: EcrServer;
let dir: string;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry({
    mode: "tls-htpasswd",
    dnsNames: [ECR_HOST],
    username: "AWS",
    password: PASSWORD,
  });
  await registry.pushTags("team/app", ["1.0.0", "1.2.0"]);
  proxy = await startConnectProxy({ routes: { [`${ECR_HOST}:443`]: registry.host } });
  servers = loopbackServers();
  if (!registry.pki || !registry.caPath) throw new Error("tls registry without pki");
  ecr = await startEcrServer(servers, {
    pki: registry.pki,
    region: "eu-central-1",
    accessKeyId: "AKIDCLI",
    secretAccessKey: SECRET_KEY,
    password: PASSWORD,
  });
  dir = mkdtempSync(join(tmpdir(), "imagectl-cloud-cli-"));
  home = join(dir, "home");
  const store = await openStore({ home });
  await store.putSecret("apps", "corp-proxy", { data: { address: proxy.url } });
  await store.putSecret("apps", "registry-ca", { data: { "ca.crt": registry.caPem ?? "" } });
  await store.close();
  const repo: ImageRepository = {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name: "app", namespace: "apps" },
    spec: {
      image: `${ECR_HOST}/team/app`,
      interval: "1h",
      provider: "aws",
      proxySecretRef: { name: "corp-proxy" },
      certSecretRef: { name: "registry-ca" },
    },
  };
  writeFileSync(join(dir, "repo.yaml"), JSON.stringify(repo));
  env = {
    AWS_ENDPOINT_URL_ECR: ecr.url,
    AWS_ACCESS_KEY_ID: "AKIDCLI",
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_CONFIG_FILE: join(dir, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    NODE_EXTRA_CA_CERTS: registry.caPath,
  };
}, 60_000);

afterAll(async () => {
  await servers?.closeAll();
  await proxy?.stop();
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runImagectl(home, args, env);

/**
 * A fresh home for one provider's run: the proxy and CA secrets and one ImageRepository
 * `apps/app` for `image` with `provider`, as `apply` would leave them.
 */
async function seedHome(
  name: string,
  o: { proxyUrl: string; caPem: string | undefined; image: string; provider: "aws" | "gcp" | "azure" },
): Promise<string> {
  const h = join(dir, name);
  const store = await openStore({ home: h });
  await store.putSecret("apps", "corp-proxy", { data: { address: o.proxyUrl } });
  await store.putSecret("apps", "registry-ca", { data: { "ca.crt": o.caPem ?? "" } });
  await store.apply([
    {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: "app", namespace: "apps" },
      spec: {
        image: o.image,
        interval: "1h",
        provider: o.provider,
        proxySecretRef: { name: "corp-proxy" },
        certSecretRef: { name: "registry-ca" },
      },
    } as ImageRepository,
  ]);
  await store.close();
  return h;
}

describe("provider: aws with the built CLI", () => {
  it("apply, then run --once mints ECR credentials and scans", async () => {
    expect((await run(["apply", "-f", join(dir, "repo.yaml"), "--no-wait"])).code).toBe(0);
    const before = ecr.requests.length;
    const r = await run(["run", "--once"]);
    expect(r.code, r.out).toBe(0);
    expect(ecr.requests.slice(before)).toEqual([
      { target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", refused: "" },
    ]);
    expect(r.out).not.toContain("NodeVersionSupportWarning");
    expect(r.out).not.toContain(PASSWORD);
    const get = await run(["get", "image", "repository", "app", "-n", "apps", "-o", "json"]);
    const status = (JSON.parse(get.out) as ImageRepository).status;
    expect(status?.lastScanResult?.tagCount).toBe(2);
  });

  it("check makes its authenticated request with the credentials the cloud minted", async () => {
    const r = await run(["check"]);
    expect(r.out).toContain(`ImageRepository apps/app: registry ${ECR_HOST} answers with aws credentials`);
    expect(r.out).not.toContain(PASSWORD);
  });

  it("serve scans with them too", async () => {
    const before = ecr.requests.length;
    const daemon = spawnServe(home, [], env);
    try {
      await daemon.url();
      await run(["reconcile", "image", "repository", "app", "-n", "apps"]);
      await eventually(async () => (ecr.requests.length > before ? true : undefined), 20_000, "an exchange");
      expect(daemon.output()).not.toContain(PASSWORD);
      expect(daemon.output()).not.toContain("NodeVersionSupportWarning");
    } finally {
      daemon.kill("SIGTERM");
      await exited(daemon);
    }
    const get = await run(["get", "image", "repository", "app", "-n", "apps", "-o", "json"]);
    const ready = (JSON.parse(get.out) as ImageRepository).status?.conditions?.find(
      (c) => c.type === "Ready",
    );
    expect(ready?.status, get.out).toBe("True");
  });
});

describe("provider: aws on public.ecr.aws with the built CLI", () => {
  it("run --once loads @aws-sdk/client-ecr-public from node_modules, mints in us-east-1 and scans", async () => {
    const host = "public.ecr.aws";
    const password = `pub-${Math.random().toString(36).slice(2)}`;
    const pub = await startRegistry({ mode: "tls-htpasswd", dnsNames: [host], username: "AWS", password });
    const pubProxy = await startConnectProxy({ routes: { [`${host}:443`]: pub.host } });
    try {
      await pub.pushTags("team/app", ["3.0.0"]);
      if (!pub.pki) throw new Error("tls registry without pki");
      const ecrPublic = await startEcrServer(servers, {
        pki: pub.pki,
        api: "ecr-public",
        region: "us-east-1",
        accessKeyId: "AKIDCLI",
        secretAccessKey: SECRET_KEY,
        password,
      });
      const pubHome = await seedHome("ecr-public-home", {
        proxyUrl: pubProxy.url,
        caPem: pub.caPem,
        image: `${host}/team/app`,
        provider: "aws",
      });
      const { code, out } = await runImagectl(pubHome, ["run", "--once"], {
        ...env,
        AWS_ENDPOINT_URL_ECR_PUBLIC: ecrPublic.url,
        NODE_EXTRA_CA_CERTS: pub.caPath,
      });
      expect(code, out).toBe(0);
      expect(ecrPublic.requests).toEqual([
        { target: "SpencerFrontendService.GetAuthorizationToken", refused: "" },
      ]);
      expect(out).not.toContain(password);
      expect(pubProxy.tunnels).toContain(`${host}:443`);
    } finally {
      await pubProxy.stop();
      await pub.stop();
    }
  });
});

describe("provider: gcp with the built CLI", () => {
  it("run --once loads google-auth-library from node_modules and scans with the metadata server's token", async () => {
    const token = `ya29.cli-${Math.random().toString(36).slice(2)}`;
    const host = "europe-docker.pkg.dev";
    const gar = await startRegistry({
      mode: "tls-htpasswd",
      dnsNames: [host],
      username: "oauth2accesstoken",
      password: token,
    });
    const garProxy = await startConnectProxy({ routes: { [`${host}:443`]: gar.host } });
    try {
      await gar.pushTags("proj/team/app", ["v1", "v2", "v3"]);
      const metadata = await startGceMetadataServer(servers, token);
      const gcpHome = await seedHome("gcp-home", {
        proxyUrl: garProxy.url,
        caPem: gar.caPem,
        image: `${host}/proj/team/app`,
        provider: "gcp",
      });
      const { code, out } = await runImagectl(gcpHome, ["run", "--once"], {
        GCE_METADATA_HOST: metadata.host,
        GOOGLE_APPLICATION_CREDENTIALS: "",
        CLOUDSDK_CONFIG: join(dir, "no-gcloud"),
        HOME: dir,
      });
      expect(code, out).toBe(0);
      expect(metadata.tokens).toBe(1);
      expect(out).not.toContain(token);
      expect(garProxy.tunnels).toContain(`${host}:443`);
    } finally {
      await garProxy.stop();
      await gar.stop();
    }
  });
});

describe("provider: azure with the built CLI", () => {
  it("run --once loads @azure/identity from node_modules, exchanges at ACR and scans", async () => {
    const host = "fleet.azurecr.io";
    const refresh = refreshTokenWithExp(Math.floor(Date.now() / 1000) + 3600);
    const aad = `eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJhcm0ifQ.${Math.random().toString(36).slice(2)}`;
    const acr = await startRegistry({
      mode: "tls-htpasswd",
      dnsNames: [host],
      username: "00000000-0000-0000-0000-000000000000",
      password: refresh,
    });
    const routes: Record<string, string> = {};
    const acrProxy = await startConnectProxy({ routes });
    try {
      await acr.pushTags("team/app", ["0.1.0", "0.2.0"]);
      if (!acr.pki) throw new Error("tls registry without pki");
      const identity = await startAppServiceIdentity(servers, aad);
      const front = await startAcrFront(servers, {
        pki: acr.pki,
        registry: host,
        registryPort: Number(acr.host.split(":")[1]),
        aadToken: aad,
        refreshToken: () => refresh,
      });
      routes[`${host}:443`] = front.target;
      const azHome = await seedHome("azure-home", {
        proxyUrl: acrProxy.url,
        caPem: acr.caPem,
        image: `${host}/team/app`,
        provider: "azure",
      });
      const { code, out } = await runImagectl(azHome, ["run", "--once"], {
        IDENTITY_ENDPOINT: identity.endpoint,
        IDENTITY_HEADER: identity.header,
      });
      expect(code, out).toBe(0);
      expect(front.exchanges).toEqual([""]);
      expect(out).not.toContain(refresh);
      expect(out).not.toContain(aad);
    } finally {
      await acrProxy.stop();
      await acr.stop();
    }
  });
});
