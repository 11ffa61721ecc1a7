// A loopback registry's first request goes out over plain HTTP while the TLS probe runs (see
// RegistrySession.sendFirst). These tests pin down what that may and may not do, against real
// servers on loopback: a TLS port that records every plain-HTTP request it is sent, answering
// it as Go's net/http does, and a plain one.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchDigest, listTags, parseImageReference } from "../../src/registry/index.js";
import { loopbackServers } from "../support/loopback-servers.js";
import { generateTestPki, type TestPki } from "../support/tls.js";

const USER = "probe-user";
const PASSWORD = "probe-password-s3cret";
const DIGEST = `sha256:${"a".repeat(64)}`;

let dir: string;
let pki: TestPki;
const servers = loopbackServers();
const { listen } = servers;

/** What the registry saw: requests over TLS and raw plain-HTTP requests on the TLS port. */
interface Seen {
  tls: Array<{ method: string; url: string; authorization: string | undefined }>;
  plainOnTlsPort: string[];
  plain: Array<{ method: string; url: string; authorization: string | undefined }>;
}

/** A registry of one repository (`app`, tags a and b) behind Basic auth. */
function registryHandler(record: (req: IncomingMessage) => void) {
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
  return (req: IncomingMessage, res: ServerResponse): void => {
    record(req);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="test"', "content-type": "application/json" });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (req.url?.startsWith("/v2/app/tags/list")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ name: "app", tags: ["a", "b"] }));
    } else if (req.url === "/v2/app/manifests/a") {
      res.writeHead(200, { "docker-content-digest": DIGEST });
      res.end();
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}');
    }
  };
}

/**
 * One port that speaks TLS (relayed to an HTTPS server behind it) and answers a plain HTTP
 * request the way Go's net/http does, recording the request's raw bytes.
 */
async function startTlsRegistry(seen: Seen): Promise<number> {
  const https = createHttpsServer(
    { cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) },
    registryHandler((req) =>
      seen.tls.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
      }),
    ),
  );
  const httpsPort = await listen(https);
  const front = createNetServer((socket) => {
    socket.on("error", () => {});
    socket.once("data", (first: Buffer) => {
      if (first[0] !== 0x16) {
        seen.plainOnTlsPort.push(first.toString("latin1"));
        socket.end("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
        return;
      }
      // A slow handshake, so that the early plain request surely arrives while the probe waits.
      socket.pause();
      setTimeout(() => {
        const upstream = connect(httpsPort, "127.0.0.1");
        servers.trackSocket(upstream);
        upstream.on("error", () => socket.destroy());
        socket.on("close", () => upstream.destroy());
        upstream.write(first);
        socket.pipe(upstream).pipe(socket);
        socket.resume();
      }, 100);
    });
  });
  return listen(front);
}

async function startPlainRegistry(seen: Seen): Promise<number> {
  return listen(
    createHttpServer(
      registryHandler((req) =>
        seen.plain.push({
          method: req.method ?? "",
          url: req.url ?? "",
          authorization: req.headers.authorization,
        }),
      ),
    ),
  );
}

const newSeen = (): Seen => ({ tls: [], plainOnTlsPort: [], plain: [] });
const options = { credentials: { username: USER, password: PASSWORD }, dockerConfigDir: false as const };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-scheme-probe-"));
  pki = generateTestPki(dir);
});

afterAll(async () => {
  await servers.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("first request to a loopback registry while its scheme is probed", () => {
  it("lists over TLS and sends no credentials over plain HTTP when the port speaks TLS", async () => {
    const seen = newSeen();
    const port = await startTlsRegistry(seen);
    const res = await listTags(parseImageReference(`127.0.0.1:${port}/app`), {
      ...options,
      tls: { ca: pki.caPem },
    });
    expect(res.tags).toEqual(["a", "b"]);
    expect(seen.plainOnTlsPort).toHaveLength(1);
    for (const raw of seen.plainOnTlsPort) {
      expect(raw).toMatch(/^GET \/v2\/app\/tags\/list\?n=1000 HTTP\/1\.1\r\n/);
      expect(raw.toLowerCase()).not.toContain("authorization");
      expect(raw).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
    }
    expect(seen.tls.map((r) => [r.method, r.url, r.authorization !== undefined])).toEqual([
      ["GET", "/v2/app/tags/list?n=1000", false],
      ["GET", "/v2/app/tags/list?n=1000", true],
    ]);
  });

  it("looks up a digest over TLS, with the early HEAD anonymous", async () => {
    const seen = newSeen();
    const port = await startTlsRegistry(seen);
    const digest = await fetchDigest(parseImageReference(`127.0.0.1:${port}/app`), "a", {
      ...options,
      tls: { ca: pki.caPem },
    });
    expect(digest).toBe(DIGEST);
    expect(seen.plainOnTlsPort).toHaveLength(1);
    for (const raw of seen.plainOnTlsPort) {
      expect(raw).toMatch(/^HEAD \/v2\/app\/manifests\/a HTTP\/1\.1\r\n/);
      expect(raw.toLowerCase()).not.toContain("authorization");
    }
    expect(seen.tls.at(-1)).toMatchObject({ method: "HEAD", url: "/v2/app/manifests/a" });
  });

  it("uses the early plain request on a plain-HTTP port and answers its challenge once", async () => {
    const seen = newSeen();
    const port = await startPlainRegistry(seen);
    const res = await listTags(parseImageReference(`127.0.0.1:${port}/app`), {
      ...options,
    });
    expect(res.tags).toEqual(["a", "b"]);
    // One anonymous request (sent during the probe), one with the credentials: nothing repeated.
    expect(seen.plain.map((r) => [r.method, r.url, r.authorization !== undefined])).toEqual([
      ["GET", "/v2/app/tags/list?n=1000", false],
      ["GET", "/v2/app/tags/list?n=1000", true],
    ]);
    expect(res.requests).toBe(2);
  });
});
