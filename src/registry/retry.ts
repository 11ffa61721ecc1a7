import { backoffDelay, parseRetryAfter, sleep } from "./backoff.js";
import { RegistryError } from "./errors.js";
import { type HostLimiter, hostLimiter } from "./host-limiter.js";
import { errorCode, errorDetail, isUntrustedCertificate } from "./network-errors.js";
import type { RegistryOperation } from "./operation.js";
import { reportRegistryRetry } from "./telemetry.js";
import { type RegistryResponse, type RequestMethod, sendOnce } from "./transport.js";

// go-containerregistry's transient set (408, 429, 499, 5xx incl. Cloudflare's 522).
const RETRY_STATUSES = new Set([408, 429, 499, 500, 502, 503, 504, 522]);

async function pause(op: RegistryOperation, ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (err) {
    throw op.abortError(err);
  }
}

/**
 * Sends one request of `op` under the per-host limit, retrying network failures and transient
 * statuses with backoff (a server's `Retry-After` for 429/503, capped). The last answer is
 * returned whatever its status; an untrusted certificate fails at once.
 */
export async function sendWithRetry(
  op: RegistryOperation,
  method: RequestMethod,
  url: string,
  headers: Record<string, string>,
  body?: string,
  signal: AbortSignal = op.signal,
): Promise<RegistryResponse> {
  const host = new URL(url).host;
  const limiter: HostLimiter = hostLimiter(host, op.opts.maxConcurrentPerHost);
  for (let attempt = 0; ; attempt++) {
    let res: RegistryResponse;
    try {
      res = await limiter(() => sendOnce(op, method, url, headers, body, signal));
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      if (signal.aborted) throw op.abortError(err);
      // An untrusted certificate will not become trusted by retrying: report it at once.
      if (isUntrustedCertificate(errorDetail(err))) throw op.untrusted(host, err);
      if (attempt >= op.retry.retries) {
        throw op.fail(
          "unreachable",
          `cannot reach ${host} (${errorCode(err)}) after ${attempt + 1} attempts`,
          {
            cause: err,
          },
        );
      }
      const waitMs = backoffDelay(attempt, op.retry);
      reportRegistryRetry({ host, reason: "network", waitMs });
      await pause(op, waitMs, signal);
      continue;
    }
    if (!RETRY_STATUSES.has(res.status) || attempt >= op.retry.retries) return res;
    const retryAfter =
      res.status === 429 || res.status === 503
        ? parseRetryAfter(res.headers["retry-after"], op.retry.retryAfterCapMs)
        : undefined;
    const waitMs = retryAfter ?? backoffDelay(attempt, op.retry);
    reportRegistryRetry({ host, reason: res.status === 429 ? "rate_limited" : "server_error", waitMs });
    await pause(op, waitMs, signal);
  }
}
