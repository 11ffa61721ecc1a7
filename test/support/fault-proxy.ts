import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { request } from "undici";

/** What the proxy does to one request instead of (or while) forwarding it. */
export type FaultAction =
  /** Answer this status (with a distribution error body) instead of forwarding. */
  | { kind: "status"; status: number; retryAfter?: string; headers?: Record<string, string>; body?: string }
  /** Close the connection without an answer. */
  | { kind: "reset" }
  /** Promise the full length, send half of the real answer, then close. */
  | { kind: "truncate" }
  /** Wait before forwarding. */
  | { kind: "slow"; delayMs: number }
  /** Send the real status and headers at once, then the body one byte every `intervalMs`. */
  | { kind: "drip"; intervalMs: number }
  /** Answer 200 with this body (not what the client asked for). */
  | { kind: "garbage"; body: string; contentType?: string }
  /** Answer 302 back to the same URL, forever. */
  | { kind: "redirect-loop" }
  /** Forward the request, let the upstream act on it, then drop the answer (the client never learns). */
  | { kind: "lose-answer" }
  /** Run `fn` (say, another writer pushing) before forwarding the request unchanged. */
  | { kind: "before"; fn: () => Promise<void> };

/** A fault, optionally only for requests whose `METHOD path?query` matches `match`. */
export type Fault = FaultAction & { match?: RegExp };

export interface FaultProxyOptions {
  /** Rewrites the upstream's response headers (say, to point a token realm at another proxy). */
  rewriteHeaders?: (headers: Record<string, string>) => Record<string, string>;
  /** Listen on this port (to come back on the address of a proxy that was stopped); default any. */
  port?: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use as the registry host in image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /**
   * Queue faults; each request consumes the first queued fault that matches it, then requests pass
   * through.
   */
  inject(...faults: Fault[]): void;
  /** Apply `fault` to every matching request until `clear()`. */
  always(fault: Fault): void;
  /** Drops queued and standing faults. */
  clear(): void;
  /** Requests seen, in order (method + path). */
  seen: string[];
  /** Requests received and not yet answered (or dropped). */
  inFlight(): number;
  stop(): Promise<void>;
}

const HOP_BY_HOP = ["transfer-encoding", "connection", "keep-alive"];

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An HTTP proxy of the suite's own in front of a real registry, token issuer or Git smart-HTTP
 * server: forwards requests (bodies included) unchanged unless a queued or standing fault says to
 * answer 429/5xx, reset the connection, cut the body short, drip it, answer garbage, redirect in a
 * loop, lose the answer after the upstream acted, or run something first.
 */
export async function startFaultProxy(upstream: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const queue: Fault[] = [];
  const standing: Fault[] = [];
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let open = 0;

  const forward = async (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && !HOP_BY_HOP.includes(k) && k !== "content-length")
        headers[k] = v;
    }
    const res = await request(`${upstream}${req.url ?? "/"}`, {
      method: (req.method ?? "GET") as "GET",
      headers,
      body: body.length > 0 ? body : undefined,
    });
    const resBody = Buffer.from(await res.body.arrayBuffer());
    let out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (typeof v === "string" && !HOP_BY_HOP.includes(k)) out[k] = v;
    }
    if (opts.rewriteHeaders) out = opts.rewriteHeaders(out);
    return { status: res.statusCode, headers: out, body: resBody };
  };

  const pick = (line: string): Fault | undefined => {
    const i = queue.findIndex((f) => !f.match || f.match.test(line));
    if (i >= 0) return queue.splice(i, 1)[0];
    return standing.find((f) => !f.match || f.match.test(line));
  };

  const drip = (res: ServerResponse, body: Buffer, intervalMs: number): void => {
    let i = 0;
    const tick = (): void => {
      if (res.destroyed) return;
      if (i >= body.length) {
        res.end();
        return;
      }
      res.write(body.subarray(i, i + 1));
      i++;
      const t = setTimeout(() => {
        timers.delete(t);
        tick();
      }, intervalMs);
      timers.add(t);
    };
    tick();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const line = `${req.method} ${req.url}`;
    seen.push(line);
    const fault = pick(line);
    const body = await readAll(req);
    switch (fault?.kind) {
      case "status": {
        const headers: Record<string, string> = { "content-type": "application/json", ...fault.headers };
        if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
        res
          .writeHead(fault.status, headers)
          .end(fault.body ?? '{"errors":[{"code":"INJECTED","message":"injected fault"}]}');
        return;
      }
      case "reset":
        req.socket.destroy();
        return;
      case "garbage":
        res.writeHead(200, { "content-type": fault.contentType ?? "application/json" }).end(fault.body);
        return;
      case "redirect-loop":
        res.writeHead(302, { location: req.url ?? "/" }).end();
        return;
      case "slow":
        await new Promise((r) => setTimeout(r, fault.delayMs));
        break;
      case "before":
        await fault.fn();
        break;
      default:
        break;
    }
    const up = await forward(req, body);
    if (fault?.kind === "lose-answer") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "truncate") {
      // Promise the full length, send half, then close: the client sees a premature end.
      res.writeHead(up.status, { ...up.headers, "content-length": String(up.body.length) });
      res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === "drip") {
      res.writeHead(up.status, { ...up.headers, "content-length": String(up.body.length) });
      drip(res, up.body, fault.intervalMs);
      return;
    }
    res.writeHead(up.status, { ...up.headers, "content-length": String(up.body.length) }).end(up.body);
  };

  const server = createServer((req, res) => {
    open++;
    res.once("close", () => open--);
    handle(req, res).catch(() => res.socket?.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    inject: (...faults) => queue.push(...faults),
    always: (fault) => standing.push(fault),
    clear: () => {
      queue.length = 0;
      standing.length = 0;
    },
    seen,
    inFlight: () => open,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
