import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageRepository } from "../../src/api/types.js";
import { reconcileImageRepository } from "../../src/controller/image-repository.js";
import {
  fetchDigest,
  listTags,
  parseImageReference,
  RegistryError,
  type ScanOptions,
} from "../../src/registry/index.js";
import { openStore } from "../../src/store/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startConnectProxy, type TestProxy } from "../support/registry-proxy.js";

let plain: TestRegistry;
let secure: TestRegistry;
let proxy: TestProxy;
let authProxy: TestProxy;
const PROXY_PASSWORD = `proxy-pw-${Math.random().toString(36).slice(2)}`;

// No inherited proxy variables: each test states exactly the environment it means.
function proxyEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"])
    delete env[k];
  return { ...env, ...vars };
}

const fast = { dockerConfigDir: false as const, retry: { retries: 1, baseDelayMs: 2, maxDelayMs: 10 } };
const secureOpts = (env: NodeJS.ProcessEnv): ScanOptions => ({
  ...fast,
  env,
  tls: { ca: secure.caPem },
  credentials: { username: secure.username, password: secure.password },
});

beforeAll(async () => {
  [plain, secure, proxy, authProxy] = await Promise.all([
    startRegistry({ mode: "plain" }),
    startRegistry({ mode: "tls-htpasswd" }),
    startConnectProxy(),
    startConnectProxy({ username: "proxy-user", password: PROXY_PASSWORD }),
  ]);
  await Promise.all([
    plain.pushTags("proxied/app", ["1.0.0", "1.1.0"]),
    secure.pushTags("proxied/app", ["2.0.0", "2.1.0"]),
  ]);
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), authProxy?.stop(), plain?.stop(), secure?.stop()]);
});

describe("HTTPS_PROXY / HTTP_PROXY / NO_PROXY", () => {
  it("sends plain-HTTP registry requests to HTTP_PROXY as absolute URIs", async () => {
    const env = proxyEnv({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url });
    const res = await listTags(parseImageReference(`${plain.host}/proxied/app`), { ...fast, env });
    expect(res.tags.sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(proxy.forwarded).toContain(`GET http://${plain.host}/v2/proxied/app/tags/list?n=1000`);
  });

  it("tunnels HTTPS through CONNECT and still verifies the registry with the custom CA", async () => {
    const env = proxyEnv({ HTTPS_PROXY: proxy.url });
    const forwardedBefore = proxy.forwarded.length;
    const ref = parseImageReference(`${secure.host}/proxied/app`);
    const res = await listTags(ref, secureOpts(env));
    expect(res.tags.sort()).toEqual(["2.0.0", "2.1.0"]);
    expect(await fetchDigest(ref, "2.0.0", secureOpts(env))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(proxy.tunnels).toContain(secure.host);
    // Inside the tunnel everything is TLS: the proxy never sees a request line.
    expect(proxy.forwarded.length).toBe(forwardedBefore);

    // Without the CA the tunnelled handshake is refused, as it is without a proxy.
    const err = await listTags(ref, { ...secureOpts(env), tls: undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("unreachable");
  });

  it("bypasses the proxy for hosts listed in NO_PROXY (host, host:port, suffix)", async () => {
    const seen = (): number => proxy.tunnels.length + proxy.forwarded.length;
    const before = seen();
    for (const noProxy of ["127.0.0.1", `localhost, 127.0.0.1:${secure.host.split(":")[1]}`, "*"]) {
      const env = proxyEnv({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: noProxy });
      const res = await listTags(parseImageReference(`${secure.host}/proxied/app`), secureOpts(env));
      expect(res.tags).toHaveLength(2);
    }
    const env = proxyEnv({ HTTP_PROXY: proxy.url, no_proxy: "127.0.0.1" });
    expect(
      (await listTags(parseImageReference(`${plain.host}/proxied/app`), { ...fast, env })).tags,
    ).toHaveLength(2);
    expect(seen()).toBe(before);

    // A NO_PROXY entry for another port does not match: the request goes through the proxy.
    const other = proxyEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1:1" });
    await listTags(parseImageReference(`${secure.host}/proxied/app`), secureOpts(other));
    expect(seen()).toBeGreaterThan(before);
  });

  it("sends the proxy URL's credentials as Proxy-Authorization and never reports them", async () => {
    const ok = proxyEnv({ HTTPS_PROXY: authProxy.url });
    const res = await listTags(parseImageReference(`${secure.host}/proxied/app`), secureOpts(ok));
    expect(res.tags).toHaveLength(2);
    expect(authProxy.refused).toBe(0);

    const wrongUrl = authProxy.url.replace(encodeURIComponent(PROXY_PASSWORD), "wrong-password");
    const wrong = proxyEnv({ HTTPS_PROXY: wrongUrl });
    const err = await listTags(parseImageReference(`${secure.host}/proxied/app`), secureOpts(wrong)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("unreachable");
    expect(authProxy.refused).toBeGreaterThan(0);
    const text = `${(err as Error).message}\n${(err as Error).stack}`;
    expect(text).not.toContain(PROXY_PASSWORD);
    expect(text).not.toContain("wrong-password");
  });

  it("names the variable, not its value, when a proxy URL is unusable", async () => {
    const env = proxyEnv({ HTTPS_PROXY: "socks5://user:secret-value@127.0.0.1:1080" });
    const err = await listTags(parseImageReference(`${secure.host}/proxied/app`), secureOpts(env)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain("HTTPS_PROXY");
    expect((err as Error).message).not.toContain("secret-value");
  });
});

describe("spec.proxySecretRef", () => {
  // The environment points elsewhere and exempts everything: the object's proxy still wins, as in Flux.
  const misleading = () =>
    proxyEnv({ HTTPS_PROXY: "http://127.0.0.1:1", HTTP_PROXY: "http://127.0.0.1:1", NO_PROXY: "*" });

  it("tunnels every request through the given proxy with its credentials, whatever the environment says", async () => {
    const before = authProxy.tunnels.length;
    const proxyUrl = new URL(authProxy.url);
    const ref = parseImageReference(`${secure.host}/proxied/app`);
    const res = await listTags(ref, { ...secureOpts(misleading()), proxy: proxyUrl });
    expect(res.tags.sort()).toEqual(["2.0.0", "2.1.0"]);
    expect(authProxy.tunnels.slice(before)).toContain(secure.host);

    const plainBefore = authProxy.forwarded.length;
    const plainRes = await listTags(parseImageReference(`${plain.host}/proxied/app`), {
      ...fast,
      env: misleading(),
      proxy: proxyUrl,
    });
    expect(plainRes.tags.sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(authProxy.forwarded.slice(plainBefore)).toContain(
      `GET http://${plain.host}/v2/proxied/app/tags/list?n=1000`,
    );
  });

  describe("an ImageRepository's scan", () => {
    let home: string;
    beforeAll(() => {
      home = mkdtempSync(join(tmpdir(), "imagectl-proxysecret-"));
    });
    afterAll(() => {
      rmSync(home, { recursive: true, force: true });
    });

    const repository = (proxySecret: string, image = `${secure.host}/proxied/app`): ImageRepository => ({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: "app", namespace: "flux-system", generation: 1 },
      spec: {
        image,
        interval: "1h",
        secretRef: { name: "registry-creds" },
        certSecretRef: { name: "registry-ca" },
        proxySecretRef: { name: proxySecret },
      },
    });

    async function scan(proxySecret: string, data?: Record<string, string>) {
      const store = await openStore({ home });
      try {
        await store.putSecret("flux-system", "registry-creds", {
          data: { username: secure.username, password: secure.password },
        });
        await store.putSecret("flux-system", "registry-ca", { data: { "ca.crt": secure.caPem ?? "" } });
        if (data) await store.putSecret("flux-system", proxySecret, { data });
        const repo = repository(proxySecret);
        await store.apply([repo]);
        const stored = (await store.get("ImageRepository", "flux-system", "app"))!;
        const outcome = await reconcileImageRepository({ store, home, now: () => new Date() }, stored, {
          force: true,
        });
        const status = (await store.get("ImageRepository", "flux-system", "app"))?.status;
        return { outcome, status };
      } finally {
        await store.close();
      }
    }

    it("goes through the secret's proxy (address, username, password)", async () => {
      const before = authProxy.tunnels.length;
      const address = authProxy.url.replace(/\/\/[^@]*@/, "//");
      const { outcome, status } = await scan("proxy", {
        address,
        username: "proxy-user",
        password: PROXY_PASSWORD,
      });
      expect(outcome.message).toContain("successful scan: found 2 tags");
      expect(status?.lastScanResult?.tagCount).toBe(2);
      expect(authProxy.tunnels.slice(before)).toContain(secure.host);
    });

    it("fails with the object, the secret and the field named, never a value", async () => {
      const missing = await scan("no-such-proxy");
      expect(missing.outcome.ready).toBe(false);
      expect(missing.outcome.message).toBe(
        "ImageRepository 'flux-system/app': proxy secret 'flux-system/no-such-proxy' not found (spec.proxySecretRef)",
      );
      const ready = missing.status?.conditions?.find((c) => c.type === "Ready");
      expect(ready?.reason).toBe("AuthenticationFailed");

      const noAddress = await scan("proxy-without-address", { username: "u", password: PROXY_PASSWORD });
      expect(noAddress.outcome.message).toBe(
        "ImageRepository 'flux-system/app': proxy secret 'flux-system/proxy-without-address' has no field 'address' (spec.proxySecretRef)",
      );
      const badAddress = await scan("proxy-bad-address", {
        address: `socks5://u:${PROXY_PASSWORD}@127.0.0.1:1`,
      });
      expect(badAddress.outcome.message).toBe(
        "ImageRepository 'flux-system/app': proxy secret 'flux-system/proxy-bad-address' field 'address' uses unsupported proxy scheme socks5: (spec.proxySecretRef)",
      );
      for (const r of [missing, noAddress, badAddress]) {
        expect(JSON.stringify(r)).not.toContain(PROXY_PASSWORD);
      }
    });
  });
});
