import type { RegistryError } from "./errors.js";
import { RegistryOperation } from "./operation.js";
import type { ScanOptions } from "./options.js";
import { type ImageReference, registryBaseUrl } from "./reference.js";
import { RegistryAuth } from "./registry-auth.js";
import { sendWithRetry } from "./retry.js";
import { askThroughProxy, probeDirect, probedBase } from "./scheme-probe.js";
import type { RegistryResponse } from "./transport.js";

/**
 * One logical operation against one repository (a full tag listing, a digest lookup): owns
 * the deadline, the credentials (resolved once), the Authorization header that worked, and the
 * request count (see RegistryOperation and RegistryAuth). Every request goes through
 * auth → per-host limit → retry with backoff (retry.ts) → one exchange (transport.ts).
 */
export class RegistrySession {
  readonly ref: ImageReference;
  readonly #op: RegistryOperation;
  readonly #auth: RegistryAuth;

  constructor(ref: ImageReference, opts: ScanOptions = {}) {
    this.ref = ref;
    this.#op = new RegistryOperation(ref, opts);
    this.#auth = new RegistryAuth(this.#op);
  }

  /**
   * Sends the first request of an operation, to `path` (`/v2/...`) on the registry's v2 API, and
   * returns the API base it settled on with the response.
   *
   * A registry that may use plain HTTP (loopback, or `insecure`) is tried over HTTPS first and
   * downgraded only if the port does not speak TLS, as Docker and go-containerregistry do; the
   * answer is remembered per host. While the TLS probe runs, the same request already goes out
   * over plain HTTP: it carries no credentials, so it tells a TLS port nothing, and it is used
   * only if the probe finds no TLS. Why: on a plain-HTTP registry (the usual local or CI one)
   * the probe and the request no longer wait for each other.
   */
  async sendFirst(
    method: "GET" | "HEAD",
    path: string,
    accept?: string,
  ): Promise<{ base: string; res: RegistryResponse }> {
    const op = this.#op;
    const probeUrl = new URL(`https://${this.ref.apiHost}/v2/`);
    let known = this.ref.scheme === "https" ? registryBaseUrl(this.ref) : probedBase(op);
    if (known === undefined && op.dispatcher.proxied(probeUrl)) known = await askThroughProxy(op, probeUrl);
    if (known !== undefined) return this.#sendTo(known, method, path, accept);
    const plainBase = `http://${this.ref.apiHost}`;
    const early = new AbortController();
    const earlySignal = AbortSignal.any([op.signal, early.signal]);
    // Anonymous on purpose: credentials go out only once the port is known to be plain HTTP.
    const plain = sendWithRetry(
      op,
      method,
      `${plainBase}${path}`,
      this.#auth.headers(accept, false),
      undefined,
      earlySignal,
    );
    plain.catch(() => {}); // settled below, or dropped when the port speaks TLS
    let base: string;
    try {
      base = await probeDirect(op, probeUrl);
    } catch (err) {
      early.abort();
      throw err;
    }
    if (base !== plainBase) {
      early.abort();
      return this.#sendTo(base, method, path, accept);
    }
    return { base, res: await this.#auth.authorized(method, `${base}${path}`, accept, plain) };
  }

  /** `send` to `path` on a known API base, in sendFirst's form. */
  async #sendTo(
    base: string,
    method: "GET" | "HEAD",
    path: string,
    accept: string | undefined,
  ): Promise<{ base: string; res: RegistryResponse }> {
    return { base, res: await this.send(method, `${base}${path}`, accept) };
  }

  get requests(): number {
    return this.#op.requests;
  }

  get image(): string {
    return this.#op.image;
  }

  fail(
    kind: RegistryError["kind"],
    problem: string,
    opts: { status?: number; cause?: unknown } = {},
  ): RegistryError {
    return this.#op.fail(kind, problem, opts);
  }

  /** Sends an authorized request to the registry, answering one auth challenge if needed. */
  send(method: "GET" | "HEAD", url: string, accept?: string): Promise<RegistryResponse> {
    return this.#auth.authorized(
      method,
      url,
      accept,
      sendWithRetry(this.#op, method, url, this.#auth.headers(accept)),
    );
  }
}
