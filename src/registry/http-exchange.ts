import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "./dispatcher.js";
import { httpsModule } from "./tls-modules.js";

export interface ExchangeRequest {
  method: "GET" | "HEAD" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Longest silence while waiting for headers or body bytes. */
  idleTimeoutMs: number;
  maxBodyBytes: number;
}

export interface ExchangeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The body is larger than the caller accepts; retrying will not help. */
export class ResponseTooLargeError extends Error {
  override name = "ResponseTooLargeError";
}

/** The connection ended before the whole body (per Content-Length or chunking) arrived. */
export class TruncatedBodyError extends Error {
  override name = "TruncatedBodyError";
  readonly code = "ERR_BODY_TRUNCATED";
}

/** Nothing was received for `idleTimeoutMs`. */
export class IdleTimeoutError extends Error {
  override name = "IdleTimeoutError";
  readonly code = "ETIMEDOUT";
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
// Dropped when a redirect leaves the origin, as browsers and undici do.
const ORIGIN_BOUND_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** One request and its whole response body, through the dispatcher's route for the URL. */
export function exchange(dispatcher: Dispatcher, r: ExchangeRequest): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined, res?: ExchangeResponse): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(res as ExchangeResponse);
    };
    const route = dispatcher.route(new URL(r.url));
    const headers: Record<string, string> = { ...r.headers, ...route.headers };
    if (r.body !== undefined) headers["content-length"] = String(Buffer.byteLength(r.body));
    const req = (route.secure ? httpsModule().request : httpRequest)({
      agent: route.agent,
      host: route.host,
      port: route.port,
      path: route.path,
      method: r.method,
      headers,
      signal: r.signal,
    });
    req.setTimeout(r.idleTimeoutMs, () => req.destroy(new IdleTimeoutError(`no answer from ${route.host}`)));
    req.once("error", (err) => settle(err));
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > r.maxBodyBytes) {
          settle(new ResponseTooLargeError(`response is larger than ${r.maxBodyBytes} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.once("error", (err) =>
        settle(res.complete ? err : new TruncatedBodyError(err.message, { cause: err })),
      );
      res.once("end", () => {
        if (!res.complete) settle(new TruncatedBodyError("response body ended early"));
        else
          settle(undefined, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
      });
      // A cut connection may only close the response: never leave the promise pending.
      res.once("close", () =>
        settle(new TruncatedBodyError("connection closed before the response body ended")),
      );
    });
    req.end(r.body);
  });
}

/** Like `exchange`, following up to 5 redirects (a few registries answer tags/list via a CDN). */
export async function exchangeFollowingRedirects(
  dispatcher: Dispatcher,
  first: ExchangeRequest,
): Promise<ExchangeResponse> {
  let r = first;
  for (let hop = 0; ; hop++) {
    const res = await exchange(dispatcher, r);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.status) || !location || hop >= MAX_REDIRECTS) return res;
    const from = new URL(r.url);
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      return res;
    }
    if (to.protocol !== "http:" && to.protocol !== "https:") return res;
    const headers = { ...r.headers };
    if (to.origin !== from.origin) for (const h of ORIGIN_BOUND_HEADERS) delete headers[h];
    let { method, body } = r;
    // 303 always, and 301/302 after a POST, become a body-less GET (RFC 9110 §15.4).
    if (
      (res.status === 303 && method !== "HEAD") ||
      ((res.status === 301 || res.status === 302) && method === "POST")
    ) {
      method = "GET";
      body = undefined;
      delete headers["content-type"];
    }
    r = { ...r, method, body, headers, url: to.href };
  }
}
