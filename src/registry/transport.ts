import { exchange, exchangeFollowingRedirects, ResponseTooLargeError } from "./http-exchange.js";
import type { RegistryOperation } from "./operation.js";
import { reportRegistryRequest } from "./telemetry.js";

export type RequestMethod = "GET" | "HEAD" | "POST";

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Final URL (after redirects are followed this is still the requested URL). */
  url: string;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(", ") : v;
}

function flattenHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = headerValue(v);
  return out;
}

/** One request of `op` (redirects followed), counted; a body over 64 MiB fails the operation. */
export async function sendOnce(
  op: RegistryOperation,
  method: RequestMethod,
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<RegistryResponse> {
  op.countRequest();
  try {
    const res = await exchangeFollowingRedirects(op.dispatcher, {
      method,
      url,
      headers,
      body,
      signal,
      idleTimeoutMs: op.timeoutMs,
      maxBodyBytes: MAX_BODY_BYTES,
    });
    reportRegistryRequest(url, res.status);
    return { status: res.status, headers: flattenHeaders(res.headers), body: res.body, url };
  } catch (err) {
    reportRegistryRequest(url);
    if (err instanceof ResponseTooLargeError) {
      throw op.fail(
        "bad-response",
        `response from ${new URL(url).host} is larger than ${MAX_BODY_BYTES} bytes`,
      );
    }
    throw err;
  }
}

/** A GET whose answer does not matter, only whether it could be exchanged (no redirects, no retry); counted. */
export async function sendProbe(op: RegistryOperation, url: string): Promise<void> {
  op.countRequest();
  await exchange(op.dispatcher, {
    method: "GET",
    url,
    headers: { "user-agent": op.userAgent },
    signal: op.signal,
    idleTimeoutMs: op.timeoutMs,
    maxBodyBytes: MAX_BODY_BYTES,
  });
}
