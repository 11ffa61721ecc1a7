import { readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener } from "node:http";
import { createServer } from "node:https";
import type { LoopbackServers } from "../loopback-servers.js";
import type { TestPki } from "../tls.js";

/**
 * The loopback cloud endpoints' common part: an HTTPS server on 127.0.0.1 presenting the test
 * PKI's server certificate (which names the cloud hosts the proxy routes), tracked by `servers`
 * so closeAll() stops it. Returns the port.
 */
export function listenTls(servers: LoopbackServers, pki: TestPki, handler: RequestListener): Promise<number> {
  const server = createServer(
    { cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) },
    handler,
  );
  return servers.listen(server);
}

/** A request's whole body as text (token requests are small forms or JSON). */
export async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}
