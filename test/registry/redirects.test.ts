import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTags, parseImageReference, RegistryError, type ScanOptions } from "../../src/registry/index.js";

// A registry that answers tags/list with redirects (as some do via a CDN) and a "CDN" on
// another port, i.e. another origin. Both record the Authorization header they received.
let registry: Server;
let cdn: Server;
let registryHost = "";
let cdnOrigin = "";
const authSeen: Record<string, string | undefined> = {};
const CREDS = { username: "redirect-user", password: `pw-${Math.random().toString(36).slice(2)}` };
const BASIC = `Basic ${Buffer.from(`${CREDS.username}:${CREDS.password}`).toString("base64")}`;

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const tagsBody = (name: string, tags: string[]): string => JSON.stringify({ name, tags });

beforeAll(async () => {
  cdn = await listen((req, res) => {
    authSeen[`cdn ${req.url}`] = req.headers.authorization;
    res.writeHead(200, { "content-type": "application/json" }).end(tagsBody("org/app", ["1.0.0", "2.0.0"]));
  });
  cdnOrigin = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  registry = await listen((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (req.headers.authorization !== BASIC && path !== "/v2/") {
      res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      return;
    }
    authSeen[`registry ${path}`] = req.headers.authorization;
    if (path === "/v2/") res.writeHead(200).end("{}");
    else if (path === "/v2/org/app/tags/list")
      res.writeHead(307, { location: `${cdnOrigin}/blobs/tags` }).end();
    else if (path === "/v2/org/moved/tags/list")
      res.writeHead(308, { location: "/v2/org/final/tags/list" }).end();
    else if (path === "/v2/org/final/tags/list")
      res.writeHead(200, { "content-type": "application/json" }).end(tagsBody("org/final", ["a", "b"]));
    else if (path === "/v2/org/loop/tags/list") res.writeHead(302, { location: path }).end();
    else res.writeHead(404).end();
  });
  registryHost = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(
    [registry, cdn].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))),
  );
});

const opts: ScanOptions = { dockerConfigDir: false, credentials: CREDS, retry: { retries: 0 } };

describe("redirects on tags/list", () => {
  it("follows a redirect to another origin without sending the registry's Authorization there", async () => {
    const res = await listTags(parseImageReference(`${registryHost}/org/app`), opts);
    expect(res.tags).toEqual(["1.0.0", "2.0.0"]);
    expect(Object.keys(authSeen)).toContain("cdn /blobs/tags");
    expect(authSeen["cdn /blobs/tags"]).toBeUndefined();
  });

  it("keeps Authorization on a same-origin redirect", async () => {
    const res = await listTags(parseImageReference(`${registryHost}/org/moved`), opts);
    expect(res.tags).toEqual(["a", "b"]);
    expect(authSeen["registry /v2/org/final/tags/list"]).toBe(BASIC);
  });

  it("stops after 5 redirects and reports the unexpected status", async () => {
    const err = await listTags(parseImageReference(`${registryHost}/org/loop`), opts).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("bad-response");
    expect((err as Error).message).toContain("HTTP 302");
    expect((err as Error).message).not.toContain(CREDS.password);
  });
});
