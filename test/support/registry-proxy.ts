import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { type AddressInfo, connect, isIP, type Socket } from "node:net";

export interface TestProxy {
  /** `http://127.0.0.1:PORT` (with `user:pass@` when the proxy requires credentials). */
  url: string;
  /** CONNECT targets (`host:port`) in order, including refused ones. */
  tunnels: string[];
  /** Plain-HTTP requests forwarded, as `METHOD absolute-URI`. */
  forwarded: string[];
  /** Requests refused with 407. */
  refused: number;
  stop(): Promise<void>;
}

const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));

/**
 * A forward proxy of the suite's own on 127.0.0.1: CONNECT tunnels for HTTPS and absolute-URI
 * forwarding for HTTP, optionally demanding Basic `Proxy-Authorization`. It only reaches
 * loopback targets, so a misrouted request can never leave the machine.
 */
export async function startConnectProxy(
  opts: {
    username?: string;
    password?: string;
    /**
     * CONNECT targets (`host:port`) tunnelled to a loopback `127.0.0.1:PORT` instead: how a test
     * reaches a loopback server under a cloud registry's name, as a corporate proxy would route.
     */
    routes?: Record<string, string>;
  } = {},
): Promise<TestProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<Socket>();
  let refused = 0;
  const expected =
    opts.username !== undefined
      ? `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ""}`).toString("base64")}`
      : undefined;
  const authorised = (req: IncomingMessage): boolean =>
    expected === undefined || req.headers["proxy-authorization"] === expected;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    forwarded.push(`${req.method} ${req.url}`);
    if (!authorised(req)) {
      refused++;
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test-proxy"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute URI required");
      return;
    }
    if (target.protocol !== "http:" || !isLoopback(target.hostname.replace(/^\[|\]$/g, ""))) {
      res.writeHead(403).end("loopback http targets only");
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    const upstream = request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ""),
        port: Number(target.port) || 80,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    tunnels.push(target);
    client.on("error", () => client.destroy());
    if (!authorised(req)) {
      refused++;
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test-proxy"\r\n\r\n',
      );
      return;
    }
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(opts.routes?.[target] ?? target);
    if (!m || !isLoopback(m[1] ?? "")) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(Number(m[2]), m[1] ?? "", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const userinfo =
    opts.username !== undefined
      ? `${encodeURIComponent(opts.username)}:${encodeURIComponent(opts.password ?? "")}@`
      : "";
  return {
    url: `http://${userinfo}127.0.0.1:${port}`,
    tunnels,
    forwarded,
    get refused() {
      return refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
