// Which protocol a loopback / insecure registry port speaks, asked of real servers on loopback.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeTls } from "../../src/registry/tls-probe.js";
import { loopbackServers } from "../support/loopback-servers.js";
import { freePort } from "../support/registry.js";
import { generateTestPki, type TestPki } from "../support/tls.js";

let dir: string;
let pki: TestPki;
const servers = loopbackServers();
const listen = servers.listen;

function tlsServer(opts: {
  minVersion?: "TLSv1.2" | "TLSv1.3";
  maxVersion?: "TLSv1.2" | "TLSv1.3";
  requestCert?: boolean;
}) {
  return createTlsServer({
    cert: readFileSync(pki.serverCertPath),
    key: readFileSync(pki.serverKeyPath),
    ca: pki.caPem,
    ...opts,
    rejectUnauthorized: opts.requestCert === true,
  });
}

const probe = (port: number, timeoutMs = 5_000) =>
  probeTls("127.0.0.1", port, AbortSignal.timeout(10_000), timeoutMs);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-tls-probe-"));
  pki = generateTestPki(dir);
});

afterAll(async () => {
  await servers.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("probeTls", () => {
  it("answers plain for an HTTP server", async () => {
    const port = await listen(createHttpServer((_req, res) => res.end("{}")));
    expect(await probe(port)).toBe("plain");
  });

  it("answers tls for TLS 1.3-only, TLS 1.2-only and client-certificate servers", async () => {
    const only13 = await listen(tlsServer({ minVersion: "TLSv1.3" }));
    const only12 = await listen(tlsServer({ maxVersion: "TLSv1.2" }));
    const mtls = await listen(tlsServer({ requestCert: true }));
    expect(await probe(only13)).toBe("tls");
    expect(await probe(only12)).toBe("tls");
    expect(await probe(mtls)).toBe("tls");
  });

  it("answers no-server for a closed port and for a server that never answers", async () => {
    expect(await probe(await freePort())).toBe("no-server");
    const silent = await listen(createNetServer(() => {}));
    expect(await probe(silent, 300)).toBe("no-server");
  });

  it("answers plain for a server that hangs up on the hello", async () => {
    const port = await listen(createNetServer((s) => s.end()));
    expect(await probe(port)).toBe("plain");
  });

  it("rejects when the scan is cancelled", async () => {
    const silent = await listen(createNetServer(() => {}));
    const controller = new AbortController();
    const pending = probeTls("127.0.0.1", silent, controller.signal, 10_000);
    controller.abort(new Error("cancelled by test"));
    await expect(pending).rejects.toThrow("cancelled by test");
  });
});
