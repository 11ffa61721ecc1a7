import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { request } from "undici";

/** What the proxy does to one request instead of (or while) forwarding it. */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string }
  | { kind: "reset" }
  | { kind: "truncate" }
  | { kind: "slow"; delayMs: number };

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use as the registry host in image references. */
  host: string;
  /** Queue faults; each request consumes the next one, then requests pass through. */
  inject(...faults: Fault[]): void;
  /** Requests seen, in order (method + path). */
  seen: string[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy of the suite's own in front of a real registry: forwards requests unchanged
 * unless a queued fault says to answer 429/5xx, reset the connection, cut the body short or
 * answer late.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const queue: Fault[] = [];
  const seen: string[] = [];
  const sockets = new Set<Socket>();

  const forward = async (
    req: IncomingMessage,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && k !== "connection") headers[k] = v;
    }
    const res = await request(`${upstream}${req.url ?? "/"}`, {
      method: (req.method ?? "GET") as "GET",
      headers,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (typeof v === "string" && !["transfer-encoding", "connection", "keep-alive"].includes(k)) out[k] = v;
    }
    return { status: res.statusCode, headers: out, body };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    seen.push(`${req.method} ${req.url}`);
    const fault = queue.shift();
    if (fault?.kind === "status") {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
      res.writeHead(fault.status, headers).end('{"errors":[{"code":"INJECTED","message":"injected fault"}]}');
      return;
    }
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "slow") await new Promise((r) => setTimeout(r, fault.delayMs));
    const up = await forward(req);
    if (fault?.kind === "truncate") {
      // Promise the full length, send half, then close: the client sees a premature end.
      res.writeHead(up.status, { ...up.headers, "content-length": String(up.body.length) });
      res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.writeHead(up.status, { ...up.headers, "content-length": String(up.body.length) }).end(up.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.socket?.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    inject: (...faults) => queue.push(...faults),
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
