import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff.js";
import { type Dispatcher, dispatcherFor } from "./dispatcher.js";
import { RegistryError } from "./errors.js";
import { errorCode } from "./network-errors.js";
import { DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, type ScanOptions } from "./options.js";
import type { ImageReference } from "./reference.js";

/**
 * What every part of one logical operation (a tag listing, a digest lookup) shares: the image,
 * the options, the connection settings, the deadline and the request count, and how a failure
 * of this operation is reported. The transport, the scheme probe, the retry loop and the auth
 * exchange each take this one object.
 */
export class RegistryOperation {
  readonly ref: ImageReference;
  readonly opts: ScanOptions;
  readonly dispatcher: Dispatcher;
  /** The TLS material that decides what a port's scheme probe may find (see scheme-probe.ts). */
  readonly dispatcherKey: string;
  readonly retry: RetryPolicy;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly #deadline: AbortSignal;
  #requests = 0;

  constructor(ref: ImageReference, opts: ScanOptions) {
    this.ref = ref;
    this.opts = opts;
    try {
      this.dispatcher = dispatcherFor({ tls: opts.tls, env: opts.env, proxy: opts.proxy });
    } catch (err) {
      // An unusable HTTPS_PROXY/HTTP_PROXY: the message names the variable, never its value.
      throw this.fail("unreachable", err instanceof Error ? err.message : "invalid proxy settings", {
        cause: err,
      });
    }
    this.dispatcherKey = JSON.stringify([opts.tls?.ca ?? "", opts.tls?.cert ?? ""]);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#deadline = AbortSignal.timeout(this.timeoutMs);
    this.signal = opts.signal ? AbortSignal.any([opts.signal, this.#deadline]) : this.#deadline;
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
  }

  /** HTTP requests sent so far (including auth, probes and retries). */
  get requests(): number {
    return this.#requests;
  }

  countRequest(): void {
    this.#requests++;
  }

  get image(): string {
    return this.ref.original;
  }

  fail(
    kind: RegistryError["kind"],
    problem: string,
    opts: { status?: number; cause?: unknown } = {},
  ): RegistryError {
    return new RegistryError(kind, this.image, `${this.image}: ${problem}`, opts);
  }

  /** The deadline passed or the caller cancelled. */
  abortError(cause: unknown): RegistryError {
    if (this.#deadline.aborted) {
      return this.fail("timeout", `scan did not finish within ${this.timeoutMs} ms`, { cause });
    }
    return this.fail("timeout", "scan was cancelled", { cause });
  }

  /** `host` answered with a certificate we do not trust: reported at once, never retried or downgraded. */
  untrusted(host: string, cause: unknown): RegistryError {
    const problem = this.dispatcher.trustProblem();
    return this.fail(
      "unreachable",
      `TLS certificate of ${host} is not trusted (${errorCode(cause)})${problem ? `; ${problem}` : ""}`,
      { cause },
    );
  }
}
