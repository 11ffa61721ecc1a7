import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepository } from "../../src/api/types.js";
import { ProxySecretError, proxyFromSecretRef } from "../../src/controller/proxy-secret.js";
import { GitError, lsRemoteHead, runAutomation } from "../../src/git/index.js";
import type { Secret } from "../../src/store/index.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf } from "../support/git-repo.js";
import { startConnectProxy, type TestProxy } from "../support/registry-proxy.js";
import { author, cachedGitConfig, tempDirs, writeFiles } from "./helpers.js";

const GIT_PASSWORD = `git-pw-${Math.random().toString(36).slice(2)}`;
const PROXY_PASSWORD = `proxy-pw-${Math.random().toString(36).slice(2)}`;

describe("git over HTTP through a GitRepository's proxySecretRef", () => {
  let server: GitHttpServer;
  let proxy: TestProxy;
  let userOnlyProxy: TestProxy;
  const dirs = tempDirs();
  beforeAll(async () => {
    [server, proxy, userOnlyProxy] = await Promise.all([
      startGitHttpServer({ username: "gituser", password: GIT_PASSWORD }),
      startConnectProxy({ username: "proxy-user", password: PROXY_PASSWORD }),
      startConnectProxy({ username: "only-user", password: "" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), proxy?.stop(), userOnlyProxy?.stop()]);
    await dirs.cleanup();
  });

  const auth = { username: "gituser", password: GIT_PASSWORD };

  it("fetches and pushes through the proxy with its credentials, which stay out of .git/config", async () => {
    const bare = await server.createBareRepo("proxied.git", { "a.yaml": "a: 1\n" });
    const cacheDir = await dirs.make();
    const url = server.url("proxied.git");
    const opts = { cacheDir, url, auth, proxy: new URL(proxy.url), checkoutBranch: "main", author };
    const result = await runAutomation(opts, writeFiles({ "a.yaml": "a: 2\n" }));
    expect(result.pushed).toBe(true);
    expect(await headOf(bare, "main")).toBe(result.commit);
    const path = new URL(url).pathname;
    expect(proxy.forwarded).toContain(`GET ${url}/info/refs?service=git-upload-pack`);
    expect(proxy.forwarded).toContain(`POST ${url}/git-receive-pack`);
    expect(proxy.forwarded.every((line) => line.includes(path))).toBe(true);
    expect(proxy.refused).toBe(0);
    expect(await lsRemoteHead(url, "main", auth, 60_000, new URL(proxy.url))).toBe(result.commit);
    const config = await cachedGitConfig(cacheDir);
    expect(config).not.toContain(PROXY_PASSWORD);
    expect(config).not.toContain("proxy");
  });

  it("sends a user name without a password as such (git does not prompt for one)", async () => {
    await server.createBareRepo("user-only.git", { "a.yaml": "a: 1\n" });
    const proxyUrl = new URL(userOnlyProxy.url);
    expect(await lsRemoteHead(server.url("user-only.git"), "main", auth, 60_000, proxyUrl)).toMatch(
      /^[0-9a-f]{40}$/,
    );
    expect(userOnlyProxy.refused).toBe(0);
  });

  it("fails as a GitError that names no password when the proxy refuses the credentials", async () => {
    await server.createBareRepo("refused.git", { "a.yaml": "a: 1\n" });
    const wrong = new URL(proxy.url);
    wrong.password = `${PROXY_PASSWORD}-wrong`;
    const err = await runAutomation(
      {
        cacheDir: await dirs.make(),
        url: server.url("refused.git"),
        auth,
        proxy: wrong,
        checkoutBranch: "main",
        author,
      },
      writeFiles({ "a.yaml": "a: 2\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toContain("407");
    expect((err as Error).message).not.toContain(PROXY_PASSWORD);
    expect((err as Error).message).not.toContain(GIT_PASSWORD);
  });
});

describe("reading a GitRepository's proxySecretRef", () => {
  const repo: GitRepository = {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name: "fleet", namespace: "flux-system" },
    spec: { url: "https://git.example/fleet.git", interval: "1m", proxySecretRef: { name: "corp-proxy" } },
  };
  const storeWith = (data: Record<string, string> | undefined) => ({
    getSecret: async (namespace: string, name: string): Promise<Secret | undefined> =>
      data && { namespace, name, type: "Opaque", data, createdAt: "", updatedAt: "" },
  });
  const failure = (data: Record<string, string> | undefined): Promise<Error> =>
    proxyFromSecretRef(storeWith(data), repo).then(
      () => new Error("expected a failure"),
      (e: unknown) => e as Error,
    );

  it("puts username and password into the proxy URL, encoded", async () => {
    const url = await proxyFromSecretRef(
      storeWith({ address: "http://proxy.corp:3128", username: "me@corp", password: "p:w/d" }),
      repo,
    );
    expect(url?.host).toBe("proxy.corp:3128");
    expect(decodeURIComponent(url?.username ?? "")).toBe("me@corp");
    expect(decodeURIComponent(url?.password ?? "")).toBe("p:w/d");
  });

  it("names the object, the secret and the field", async () => {
    const prefix = "GitRepository 'flux-system/fleet': proxy secret 'flux-system/corp-proxy'";
    const missing = await failure(undefined);
    expect(missing).toBeInstanceOf(ProxySecretError);
    expect(missing.message).toBe(`${prefix} not found (spec.proxySecretRef)`);
    expect((await failure({ username: "u", password: "hidden-pw" })).message).toBe(
      `${prefix} has no field 'address' (spec.proxySecretRef)`,
    );
    const bad = await failure({ address: "http://[not-an-ip", password: "hidden-pw" });
    expect(bad.message).toBe(`${prefix} field 'address' is not a valid proxy URL (spec.proxySecretRef)`);
  });
});
