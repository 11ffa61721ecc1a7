import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTags, parseImageReference, RegistryError, TokenCache } from "../../src/registry/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// Where a Bearer challenge may send the credentials (src/registry/bearer-token.ts): HTTPS
// anywhere; plain HTTP only on the registry's own host, or on loopback for an insecure repository.
// Real docker-registry with the suite's token issuer; a front of the test's own rewrites the
// challenge's realm to point elsewhere, and a relay on 127.0.0.2 (another loopback host) records
// what reaches it and passes it on to the real issuer.
let reg: TestRegistry;
let front: Server;
let frontHost: string;
let relay: Server;
let relayRealm: string;
/** The realm the front puts in challenges (set per test). */
let realm = "";
/** Authorization headers the relay received. */
const relayed: (string | undefined)[] = [];

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `${host}:${(server.address() as AddressInfo).port}`;
}

async function pass(
  req: IncomingMessage,
  res: ServerResponse,
  target: string,
  rewrite: boolean,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
  const up = await request(`${target}${req.url ?? "/"}`, { method: (req.method ?? "GET") as "GET", headers });
  const body = Buffer.from(await up.body.arrayBuffer());
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(up.headers))
    if (typeof v === "string" && !["transfer-encoding", "connection", "keep-alive"].includes(k)) out[k] = v;
  if (rewrite && out["www-authenticate"])
    out["www-authenticate"] = out["www-authenticate"].replace(/realm="[^"]*"/, `realm="${realm}"`);
  res.writeHead(up.statusCode, { ...out, "content-length": String(body.length) }).end(body);
}

beforeAll(async () => {
  reg = await startRegistry({ mode: "token" });
  await reg.pushTags("tok/app", ["v1", "v2"]);
  front = createServer((req, res) => {
    pass(req, res, reg.url, true).catch(() => res.socket?.destroy());
  });
  frontHost = await listen(front, "127.0.0.1");
  const issuer = new URL(reg.tokenServer?.realm ?? "").origin;
  relay = createServer((req, res) => {
    relayed.push(req.headers.authorization);
    pass(req, res, issuer, false).catch(() => res.socket?.destroy());
  });
  relayRealm = `http://${await listen(relay, "127.0.0.2")}/token`;
});

afterAll(async () => {
  for (const s of [front, relay]) {
    s?.closeAllConnections();
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
  await reg?.stop();
});

const scan = (insecure: boolean) =>
  listTags(parseImageReference(`${frontHost}/tok/app`, { insecure }), {
    dockerConfigDir: false,
    retry: { retries: 0 },
    insecure,
    credentials: { username: reg.username, password: reg.password },
    tokenCache: new TokenCache(),
  });

describe("Bearer realms and the credentials sent there", () => {
  it("never sends the credentials to a plain-HTTP realm on another host", async () => {
    realm = relayRealm;
    const before = relayed.length;
    const err = await scan(false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("auth");
    expect((err as Error).message).toBe(
      `${frontHost}/tok/app: refusing the token realm ${new URL(relayRealm).host} in plain HTTP for repository ${frontHost}/tok/app: a plain-HTTP realm must be on the registry's own host (127.0.0.1), or on loopback for an insecure repository`,
    );
    expect((err as Error).message).not.toContain(reg.password);
    expect(relayed.length).toBe(before);
  });

  it("refuses a plain-HTTP realm off loopback even for an insecure repository", async () => {
    realm = "http://token.example.invalid/token";
    const err = await scan(true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain("refusing the token realm token.example.invalid in plain HTTP");
    expect((err as Error).message).toContain("must be on the registry's own host (127.0.0.1) or on loopback");
  });

  it("accepts a loopback realm on another host when the repository is insecure", async () => {
    realm = relayRealm;
    const before = relayed.length;
    const res = await scan(true);
    expect(res.tags.sort()).toEqual(["v1", "v2"]);
    expect(relayed.slice(before)).toHaveLength(1);
    expect(relayed.at(-1)).toMatch(/^Basic /);
  });

  it("accepts a plain-HTTP realm on the registry's own host", async () => {
    realm = reg.tokenServer?.realm ?? "";
    const res = await scan(false);
    expect(res.tags.sort()).toEqual(["v1", "v2"]);
  });
});
