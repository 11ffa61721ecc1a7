import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { registryConfig, waitReady } from "./registry-config.js";
import { generateTestPki, type TestPki } from "./tls.js";
import { startTokenServer, type TokenServer, type TokenServerOptions } from "./token-server.js";

const REGISTRY_BIN = "/usr/bin/docker-registry";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

import type { RegistryMode } from "./registry-config.js";

export type { RegistryMode };

export interface StartRegistryOptions {
  mode?: RegistryMode;
  /** tls-htpasswd only: also require a client certificate signed by the test CA (mTLS). */
  clientCertificates?: boolean;
  /** tls-htpasswd only: more names for the server certificate (a cloud host the test routes here). */
  dnsNames?: readonly string[];
  /** tls-htpasswd only: the one account htpasswd accepts (default testuser and a random password). */
  username?: string;
  password?: string;
  /** token only: extra options for the token issuer (identity tokens, lifetime, …). */
  token?: Pick<TokenServerOptions, "identityTokens" | "expiresIn" | "accessTokenOnly">;
}

export interface TestRegistry {
  mode: RegistryMode;
  /** `127.0.0.1:PORT`, usable as the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  /** Storage root of the registry (for filesystem seeding). */
  rootDir: string;
  /** Temp dir holding everything of this registry; removed by stop(). */
  dir: string;
  /** Test CA (tls-htpasswd only). */
  caPem: string | undefined;
  caPath: string | undefined;
  pki: TestPki | undefined;
  /** Account accepted by htpasswd / the token server (random password per run). */
  username: string;
  password: string;
  tokenServer: TokenServer | undefined;
  /** Pushes one tiny image and tags it with every tag; returns the manifest digest. */
  pushTags(repo: string, tags: readonly string[]): Promise<string>;
  /** Pushes a two-platform OCI index under `tag`; returns its digest and the children's. */
  pushIndex(repo: string, tag: string): Promise<{ digest: string; children: string[] }>;
  /** Adds many tags fast by writing the storage layout (pushes the image once via the API). */
  seedTags(repo: string, tags: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A free loopback port: bind to 0 and release it (the registry cannot listen on :0 itself). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/**
 * Starts Debian's docker-registry on 127.0.0.1 with a fresh temp dir: plain HTTP, HTTPS with a
 * generated CA + bcrypt htpasswd (optionally mTLS), or bearer tokens from the suite's own issuer.
 * Share one per test file (beforeAll/afterAll) and always call stop().
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const mode = opts.mode ?? "plain";
  const dir = mkdtempSync(join(tmpdir(), `imagectl-registry-${mode}-`));
  const rootDir = join(dir, "data");
  mkdirSync(rootDir);
  const username = opts.username ?? "testuser";
  const password = opts.password ?? `pw-${randomBytes(12).toString("hex")}`;
  let pki: TestPki | undefined;
  let htpasswd: string | undefined;
  let tokenServer: TokenServer | undefined;
  let tokenCert: string | undefined;
  try {
    if (mode === "tls-htpasswd") {
      pki = generateTestPki(join(dir, "pki"), { dnsNames: opts.dnsNames });
      htpasswd = join(dir, "htpasswd");
      // -i: password from stdin, so it does not show up in the process list.
      const line = execFileSync("htpasswd", ["-Bin", username], { input: password, encoding: "utf8" });
      writeFileSync(htpasswd, line);
    }
    if (mode === "token") {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "2",
          "-subj",
          "/CN=test-token-issuer",
          "-keyout",
          "token-key.pem",
          "-out",
          "token-cert.pem",
        ],
        { cwd: dir, stdio: "ignore" },
      );
      tokenCert = join(dir, "token-cert.pem");
      tokenServer = await startTokenServer({
        keyPem: readFileSync(join(dir, "token-key.pem"), "utf8"),
        issuer: "test-issuer",
        service: "test-registry",
        users: { [username]: password },
        ...opts.token,
      });
    }
  } catch (err) {
    await tokenServer?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const scheme = mode === "tls-htpasswd" ? "https" : "http";
  const dispatcher = new Agent(
    pki
      ? {
          connect: {
            ca: pki.caPem,
            ...(opts.clientCertificates ? { cert: pki.clientCertPem, key: pki.clientKeyPem } : {}),
          },
        }
      : {},
  );
  let proc: ChildProcess | undefined;
  let port = 0;
  let stderr = "";
  for (let attempt = 0; attempt < 5 && !proc; attempt++) {
    port = await freePort();
    const configPath = join(dir, "config.yml");
    writeFileSync(
      configPath,
      registryConfig({
        root: rootDir,
        port,
        mode,
        pki,
        htpasswd,
        clientCertificates: opts.clientCertificates,
        realm: tokenServer?.realm,
        tokenCert,
      }),
    );
    stderr = "";
    const child = spawn(REGISTRY_BIN, ["serve", configPath], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    try {
      await waitReady(`${scheme}://127.0.0.1:${port}`, dispatcher, child, () => stderr);
      proc = child;
    } catch (err) {
      child.kill("SIGKILL");
      if (!/address already in use/i.test(stderr) || attempt === 4) {
        await tokenServer?.stop();
        await dispatcher.close();
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const running = proc as ChildProcess;
  const url = `${scheme}://127.0.0.1:${port}`;

  // Push credentials: Basic for htpasswd; a push-scoped token for token auth.
  const authHeader = async (repo: string): Promise<Record<string, string>> => {
    if (mode === "tls-htpasswd") {
      return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
    }
    if (mode === "token" && tokenServer) {
      const u = new URL(tokenServer.realm);
      u.searchParams.set("service", "test-registry");
      u.searchParams.set("scope", `repository:${repo}:pull,push`);
      const res = await request(u, {
        headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
      });
      const body = (await res.body.json()) as { token: string };
      return { authorization: `Bearer ${body.token}` };
    }
    return {};
  };

  const call = async (
    method: "GET" | "HEAD" | "POST" | "PUT",
    target: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> => {
    const res = await request(new URL(target, url), { method, headers, body, dispatcher });
    const text = method === "HEAD" ? "" : await res.body.text();
    if (method === "HEAD") await res.body.dump();
    return { status: res.statusCode, headers: res.headers, text };
  };

  const pushBlob = async (repo: string, auth: Record<string, string>, buf: Buffer): Promise<string> => {
    const digest = sha256(buf);
    const head = await call("HEAD", `/v2/${repo}/blobs/${digest}`, auth);
    if (head.status === 200) return digest;
    const post = await call("POST", `/v2/${repo}/blobs/uploads/`, auth);
    if (post.status !== 202) throw new Error(`blob upload POST ${post.status}: ${post.text}`);
    const loc = new URL(String(post.headers.location), url);
    loc.searchParams.set("digest", digest);
    const put = await call("PUT", loc.href, { ...auth, "content-type": "application/octet-stream" }, buf);
    if (put.status !== 201) throw new Error(`blob PUT ${put.status}: ${put.text}`);
    return digest;
  };

  const putManifest = async (
    repo: string,
    auth: Record<string, string>,
    ref: string,
    buf: Buffer,
    mediaType: string,
  ): Promise<string> => {
    const res = await call(
      "PUT",
      `/v2/${repo}/manifests/${ref}`,
      { ...auth, "content-type": mediaType },
      buf,
    );
    if (res.status !== 201) throw new Error(`manifest PUT ${repo}:${ref} ${res.status}: ${res.text}`);
    return String(res.headers["docker-content-digest"]);
  };

  const imageManifest = async (
    repo: string,
    auth: Record<string, string>,
    platform: Record<string, string>,
  ): Promise<Buffer> => {
    const config = Buffer.from(
      JSON.stringify({ ...platform, rootfs: { type: "layers", diff_ids: [] }, config: {} }),
    );
    const layer = Buffer.from(`layer ${JSON.stringify(platform)}`); // the registry does not check tarballs
    const c = await pushBlob(repo, auth, config);
    const l = await pushBlob(repo, auth, layer);
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: c, size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l, size: layer.length }],
      }),
    );
  };

  const pushTags = async (repo: string, tags: readonly string[]): Promise<string> => {
    const auth = await authHeader(repo);
    const manifest = await imageManifest(repo, auth, { architecture: "amd64", os: "linux" });
    let digest = sha256(manifest);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < tags.length) {
        const tag = tags[next++] as string;
        digest = await putManifest(repo, auth, tag, manifest, OCI_MANIFEST);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, tags.length) }, worker));
    return digest;
  };

  const pushIndex = async (repo: string, tag: string): Promise<{ digest: string; children: string[] }> => {
    const auth = await authHeader(repo);
    const entries = [];
    const platforms: Array<Record<string, string>> = [
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ];
    for (const platform of platforms) {
      const m = await imageManifest(repo, auth, platform);
      const d = await putManifest(repo, auth, sha256(m), m, OCI_MANIFEST);
      entries.push({ mediaType: OCI_MANIFEST, digest: d, size: m.length, platform });
    }
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
    const digest = await putManifest(repo, auth, tag, idx, OCI_INDEX);
    return { digest, children: entries.map((e) => e.digest) };
  };

  const seedTags = async (repo: string, tags: readonly string[]): Promise<string> => {
    const [first, ...rest] = tags;
    if (first === undefined) throw new Error("seedTags needs at least one tag");
    const digest = await pushTags(repo, [first]);
    const hex = digest.replace(/^sha256:/, "");
    const tagsDir = join(rootDir, "docker/registry/v2/repositories", repo, "_manifests/tags");
    for (const tag of rest) {
      mkdirSync(join(tagsDir, tag, "current"), { recursive: true });
      writeFileSync(join(tagsDir, tag, "current/link"), digest);
      mkdirSync(join(tagsDir, tag, "index/sha256", hex), { recursive: true });
      writeFileSync(join(tagsDir, tag, "index/sha256", hex, "link"), digest);
    }
    return digest;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (running.exitCode === null) {
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      running.kill("SIGTERM");
      const timer = setTimeout(() => running.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    await tokenServer?.stop();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    mode,
    host: `127.0.0.1:${port}`,
    url,
    rootDir,
    dir,
    caPem: pki?.caPem,
    caPath: pki?.caPath,
    pki,
    username,
    password,
    tokenServer,
    pushTags,
    pushIndex,
    seedTags,
    stop,
  };
}
