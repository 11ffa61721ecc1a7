import { request as httpRequest, type IncomingMessage } from "node:http";
import type {
  Agent as HttpsAgent,
  AgentOptions as HttpsAgentOptions,
  RequestOptions as HttpsRequestOptions,
} from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { socketHost } from "./socket-host.js";
import { httpsModule, tlsModule } from "./tls-modules.js";

/** The proxy did not open a tunnel (refused CONNECT, closed the connection). */
export class ProxyTunnelError extends Error {
  override name = "ProxyTunnelError";
  readonly code = "ERR_PROXY_TUNNEL";
}

const CONNECT_TIMEOUT_MS = 30_000;

/** `Proxy-Authorization` for credentials in the proxy URL (`http://user:pass@proxy:3128`). */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
}

function authority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

type TunnelingAgentClass = new (proxy: URL, options: HttpsAgentOptions) => HttpsAgent;
let tunnelingAgentClass: TunnelingAgentClass | undefined;

/**
 * A keep-alive HTTPS agent whose connections are TLS sessions inside a `CONNECT` tunnel
 * through an HTTP(S) proxy. Hand-written: Node 20 has no proxy support of its own, and the
 * alternatives (undici, https-proxy-agent) cost far more start-up time than these lines.
 */
export function createTunnelingAgent(proxy: URL, options: HttpsAgentOptions): HttpsAgent {
  // The class extends https.Agent, so it is defined on first use (see tls-modules.ts).
  tunnelingAgentClass ??= defineTunnelingAgent(httpsModule());
  return new tunnelingAgentClass(proxy, options);
}

function defineTunnelingAgent(https: typeof import("node:https")): TunnelingAgentClass {
  const { connect: tlsConnect } = tlsModule();
  return class TunnelingAgent extends https.Agent {
    readonly #proxy: URL;

    constructor(proxy: URL, options: HttpsAgentOptions) {
      super(options);
      this.#proxy = proxy;
    }

    override createConnection(
      options: HttpsRequestOptions,
      callback?: (err: Error | null, stream: Duplex) => void,
    ): Duplex | null | undefined {
      const done = callback ?? (() => {});
      const host = options.hostname ?? options.host ?? "localhost";
      const port = Number(options.port) || 443;
      const target = authority(host, port);
      const proxy = this.#proxy;
      const headers: Record<string, string> = { host: target };
      const auth = proxyAuthorization(proxy);
      if (auth) headers["proxy-authorization"] = auth;
      const connectRequest = (proxy.protocol === "https:" ? https.request : httpRequest)({
        host: socketHost(proxy.hostname),
        port: Number(proxy.port) || (proxy.protocol === "https:" ? 443 : 80),
        method: "CONNECT",
        path: target,
        headers,
        agent: false,
      });
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        done(err, undefined as unknown as Duplex);
      };
      connectRequest.setTimeout(CONNECT_TIMEOUT_MS, () =>
        connectRequest.destroy(new ProxyTunnelError(`proxy ${proxy.host} did not answer CONNECT in time`)),
      );
      connectRequest.once("error", fail);
      connectRequest.once("connect", (res: IncomingMessage, socket: Socket, head: Buffer) => {
        connectRequest.setTimeout(0);
        if (res.statusCode !== 200) {
          socket.destroy();
          fail(
            new ProxyTunnelError(`proxy ${proxy.host} refused CONNECT to ${target} (HTTP ${res.statusCode})`),
          );
          return;
        }
        if (head.length > 0) socket.unshift(head);
        const secure = tlsConnect({
          socket,
          // Identity is checked against the target host; SNI only for names, never for IPs.
          host,
          servername: options.servername || undefined,
          secureContext: this.options.secureContext,
          rejectUnauthorized: this.options.rejectUnauthorized ?? true,
          ALPNProtocols: ["http/1.1"],
        });
        if (settled) {
          secure.destroy();
          return;
        }
        settled = true;
        done(null, secure);
      });
      connectRequest.end();
      return undefined;
    }
  };
}
