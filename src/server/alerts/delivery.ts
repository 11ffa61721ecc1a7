/**
 * Sends provider requests off the reconcile path: a bounded queue, a few deliveries at a time,
 * each with a deadline and retries with exponential backoff on network errors, 429 and 5xx. A full
 * queue drops the oldest pending alert (counted) rather than grow without bound or slow anything.
 * Errors never carry the webhook URL (it often embeds a token): only status codes and error codes.
 */
import pLimit from "p-limit";
import type { ProviderRequest } from "./provider-payloads.js";

export interface DeliveryOptions {
  timeoutMs: number;
  retries: number;
  /** First retry delay; doubles each time. */
  backoffMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { timeoutMs: 15_000, retries: 3, backoffMs: 500 };

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** The last HTTP status, when an answer came. */
  status?: number;
  /** Why it failed, free of the address. */
  error?: string;
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError" || err.name === "AbortError") return "timed out";
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    if (typeof cause?.code === "string") return cause.code;
    // undici's own causes ("bad port") carry no address; anything that might is not repeated.
    if (typeof cause?.message === "string" && !/[/@:?]/.test(cause.message)) return cause.message;
    return err.name;
  }
  return "failed";
}

/** Waits `ms`, or less when `signal` aborts (shutdown); the abort listener goes with the wait. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

export async function deliver(
  req: ProviderRequest,
  opts: DeliveryOptions = DEFAULT_DELIVERY,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  let last: DeliveryResult = { ok: false, attempts: 0, error: "not sent" };
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (signal?.aborted) return { ...last, error: "shutting down" };
    if (attempt > 0) await sleep(opts.backoffMs * 2 ** (attempt - 1), signal);
    try {
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      const res = await fetch(req.url, {
        method: "POST",
        headers: req.headers,
        body: req.body,
        redirect: "error",
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt + 1, status: res.status };
      last = { ok: false, attempts: attempt + 1, status: res.status, error: `HTTP ${res.status}` };
      if (!retryable(res.status)) return last;
    } catch (err) {
      last = { ok: false, attempts: attempt + 1, error: describe(err) };
    }
  }
  return last;
}

export interface QueuedDelivery {
  request: ProviderRequest;
  options?: DeliveryOptions;
  done(result: DeliveryResult): void;
}

export class DeliveryQueue {
  readonly #limit;
  readonly #pending: QueuedDelivery[] = [];
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly maxPending = 1000,
    concurrency = 4,
    private readonly onDropped: (d: QueuedDelivery) => void = () => {},
  ) {
    this.#limit = pLimit(concurrency);
  }

  /** Never waits: the delivery runs later; a full queue drops its oldest entry. */
  enqueue(d: QueuedDelivery): void {
    if (this.#abort.signal.aborted) return;
    if (this.#pending.length >= this.maxPending) {
      const dropped = this.#pending.shift();
      if (dropped) this.onDropped(dropped);
    }
    this.#pending.push(d);
    const p = this.#limit(async () => {
      const next = this.#pending.shift();
      if (!next) return;
      next.done(await deliver(next.request, next.options, this.#abort.signal));
    }).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  get pending(): number {
    return this.#pending.length;
  }

  /** Cancels waiting retries and pending deliveries; resolves when in-flight ones have ended. */
  async close(graceMs = 2_000): Promise<void> {
    this.#abort.abort();
    const all = Promise.allSettled([...this.#inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }
}
