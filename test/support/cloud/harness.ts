import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageRepository } from "../../../src/api/types.js";
import type { ControllerDeps } from "../../../src/controller/controller-deps.js";
import { reconcileImageRepository } from "../../../src/controller/image-repository.js";
import { openStore, type Store } from "../../../src/store/index.js";
import { type LoopbackServers, loopbackServers } from "../loopback-servers.js";
import { startRegistry, type TestRegistry } from "../registry.js";
import { startConnectProxy, type TestProxy } from "../registry-proxy.js";

/**
 * One cloud provider's end-to-end rig: the real docker-registry (TLS, bcrypt htpasswd accepting
 * exactly the account the cloud's exchange yields) answering under the cloud registry's host
 * name, which only the test's CONNECT proxy resolves (spec.proxySecretRef), its certificate
 * naming that host and trusted through spec.certSecretRef; a store with those secrets; and the
 * real ImageRepository reconciler. Product code gets no switch: the SDKs are pointed at the
 * loopback token services by the environment variables they document.
 */
export interface CloudRig {
  registry: TestRegistry;
  proxy: TestProxy;
  servers: LoopbackServers;
  store: Store;
  deps: ControllerDeps;
  /** Applies an ImageRepository for `image` with the proxy and CA secrets; returns it as stored. */
  repository(name: string, spec: Partial<ImageRepository["spec"]>): Promise<ImageRepository>;
  /** Reconciles it now (a requested scan) and returns it as stored afterwards. */
  scan(name: string): Promise<ImageRepository>;
  /** Everything a user or an operator could see of the object: status, events. */
  visibleText(name: string): Promise<string>;
  /** Routes `<host>:443` through the proxy to a loopback `127.0.0.1:PORT`. */
  route(host: string, target: string): void;
  stop(): Promise<void>;
}

export const NS = "apps";

export async function startCloudRig(o: {
  registryHost: string;
  /** More names the same registry answers under (each its own cache entry). */
  otherHosts?: readonly string[];
  username: string;
  password: string;
}): Promise<CloudRig> {
  const names = [o.registryHost, ...(o.otherHosts ?? [])];
  const registry = await startRegistry({
    mode: "tls-htpasswd",
    dnsNames: names,
    username: o.username,
    password: o.password,
  });
  const routes: Record<string, string> = Object.fromEntries(names.map((n) => [`${n}:443`, registry.host]));
  const proxy = await startConnectProxy({ routes });
  const servers = loopbackServers();
  const dir = mkdtempSync(join(tmpdir(), "imagectl-cloud-"));
  const store = await openStore({ home: join(dir, "home") });
  const deps: ControllerDeps = { store, home: join(dir, "home"), now: () => new Date() };
  await store.putSecret(NS, "corp-proxy", { data: { address: proxy.url } });
  await store.putSecret(NS, "registry-ca", { data: { "ca.crt": registry.caPem ?? "" } });

  const get = async (name: string): Promise<ImageRepository> =>
    (await store.get("ImageRepository", NS, name)) as ImageRepository;
  return {
    registry,
    proxy,
    servers,
    store,
    deps,
    route: (host, target) => {
      routes[`${host}:443`] = target;
    },
    async repository(name, spec) {
      await store.apply([
        {
          apiVersion: "image.toolkit.fluxcd.io/v1",
          kind: "ImageRepository",
          metadata: { name, namespace: NS },
          spec: {
            image: `${o.registryHost}/team/app`,
            interval: "1h",
            proxySecretRef: { name: "corp-proxy" },
            certSecretRef: { name: "registry-ca" },
            ...spec,
          },
        } as ImageRepository,
      ]);
      return get(name);
    },
    async scan(name) {
      await reconcileImageRepository(deps, await get(name), { force: true });
      return get(name);
    },
    async visibleText(name) {
      const obj = await get(name);
      const events = await store.listEvents({ kind: "ImageRepository", namespace: NS, name }, 50);
      return JSON.stringify({ status: obj.status, events });
    },
    async stop() {
      await store.close();
      await servers.closeAll();
      await proxy.stop();
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sets environment variables for the file's tests; returns a function that puts them back. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The Ready condition of a stored repository. */
export function readyOf(obj: ImageRepository): { status?: string; reason?: string; message?: string } {
  return obj.status?.conditions?.find((c) => c.type === "Ready") ?? {};
}

/**
 * The AWS SDK's environment for a test: static keys, the given endpoint overrides, and nothing
 * else it could find an identity in (no profile, empty shared files, IMDS off, so no test waits
 * on 169.254.169.254); `AWS_REGION` set to a region no test expects, since the region must come
 * from the registry host. The loopback endpoints' CA is trusted as an operator would.
 */
export function awsKeysEnv(o: {
  endpoints: Record<string, string>;
  accessKeyId: string;
  secretAccessKey: string;
  caPath: string | undefined;
}): Record<string, string | undefined> {
  const empty = mkdtempSync(join(tmpdir(), "imagectl-aws-home-"));
  return {
    ...o.endpoints,
    AWS_ACCESS_KEY_ID: o.accessKeyId,
    AWS_SECRET_ACCESS_KEY: o.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_REGION: "eu-west-1",
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: join(empty, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(empty, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    NODE_EXTRA_CA_CERTS: o.caPath,
  };
}
