import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy, sleep } from "./backoff.js";
import { resolveCredentials } from "./credentials.js";
import { type Dispatcher, dispatcherFor } from "./dispatcher.js";
import type { RegistryCredentials } from "./docker-config.js";
import { RegistryError } from "./errors.js";
import { type HostLimiter, hostLimiter } from "./host-limiter.js";
import { exchange, exchangeFollowingRedirects, ResponseTooLargeError } from "./http-exchange.js";
import { DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, type ScanOptions } from "./options.js";
import { type ImageReference, registryBaseUrl } from "./reference.js";
import { socketHost } from "./socket-host.js";
import type { TlsProbeResult } from "./tls-probe.js";
import { sharedTokenCache, type TokenCache } from "./token-cache.js";
import { type AuthChallenge, parseWwwAuthenticate, pickChallenge } from "./www-authenticate.js";

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Final URL (after redirects are followed this is still the requested URL). */
  url: string;
}

// go-containerregistry's transient set (408, 429, 499, 5xx incl. Cloudflare's 522).
const RETRY_STATUSES = new Set([408, 429, 499, 500, 502, 503, 504, 522]);
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_TOKEN_LIFETIME_S = 60;

// Scheme found by probing a loopback/insecure registry, per host and dispatcher configuration.
const probedSchemes = new Map<string, "http" | "https">();
// Errors that mean "this port speaks plain HTTP, not TLS".
const NOT_TLS = /WRONG_VERSION_NUMBER|wrong version number|packet length too long|EPROTO/i;
// Nothing listens: the plain-HTTP attempt will report it (with retries).
const NO_SERVER = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH/;
// Errors that mean "this port speaks TLS but we do not trust it": report, do not downgrade.
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i;
// A TLS alert from the server (e.g. "certificate required" for mTLS) is its refusal, not our distrust.
const TLS_ALERT = /ALERT/i;

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

/** `CODE: message` pairs from a distribution error body, for messages; never the raw body. */
export function registryErrorSummary(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as {
      errors?: Array<{ code?: unknown; message?: unknown }>;
    };
    const parts = (parsed.errors ?? [])
      .map((e) => [e.code, e.message].filter((x) => typeof x === "string").join(": "))
      .filter(Boolean);
    return parts.join("; ").slice(0, 300);
  } catch {
    return "";
  }
}

// node:crypto is loaded only when a token is needed: it is a measurable part of CLI start-up.
async function credentialFingerprint(creds: RegistryCredentials | undefined): Promise<string> {
  if (!creds) return "anonymous";
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(JSON.stringify(creds)).digest("hex").slice(0, 32);
}

function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code !== "ABORT_ERR") return code;
    e = e.cause;
  }
  return err instanceof Error ? err.name : "error";
}

/**
 * One logical operation against one repository (a full tag listing, a digest lookup): owns
 * the deadline, the credentials (resolved once), the Authorization header that worked, and the
 * request count. Every request goes through auth → per-host limit → retry with backoff.
 */
export class RegistrySession {
  readonly ref: ImageReference;
  readonly #opts: ScanOptions;
  readonly #dispatcher: Dispatcher;
  readonly #dispatcherKey: string;
  readonly #retry: RetryPolicy;
  readonly #signal: AbortSignal;
  readonly #deadline: AbortSignal;
  readonly #timeoutMs: number;
  readonly #tokenCache: TokenCache;
  #credentials: Promise<RegistryCredentials | undefined> | undefined;
  #authorization: string | undefined;
  #refreshToken: string | undefined;
  #requests = 0;

  constructor(ref: ImageReference, opts: ScanOptions = {}) {
    this.ref = ref;
    this.#opts = opts;
    try {
      this.#dispatcher = dispatcherFor({ tls: opts.tls, env: opts.env });
    } catch (err) {
      // An unusable HTTPS_PROXY/HTTP_PROXY: the message names the variable, never its value.
      throw this.fail("unreachable", err instanceof Error ? err.message : "invalid proxy settings", {
        cause: err,
      });
    }
    this.#dispatcherKey = JSON.stringify([opts.tls?.ca ?? "", opts.tls?.cert ?? ""]);
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#deadline = AbortSignal.timeout(this.#timeoutMs);
    this.#signal = opts.signal ? AbortSignal.any([opts.signal, this.#deadline]) : this.#deadline;
    this.#tokenCache = opts.tokenCache ?? sharedTokenCache;
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
    const probeUrl = new URL(`https://${this.ref.apiHost}/v2/`);
    let known = this.ref.scheme === "https" ? registryBaseUrl(this.ref) : this.#probedBase();
    if (known === undefined && this.#dispatcher.proxied(probeUrl))
      known = await this.#askThroughProxy(probeUrl);
    if (known !== undefined) return this.#sendTo(known, method, path, accept);
    const plainBase = `http://${this.ref.apiHost}`;
    const early = new AbortController();
    const earlySignal = AbortSignal.any([this.#signal, early.signal]);
    // Anonymous on purpose: credentials go out only once the port is known to be plain HTTP.
    const plain = this.#sendWithRetry(
      method,
      `${plainBase}${path}`,
      this.#headers(accept, false),
      undefined,
      earlySignal,
    );
    plain.catch(() => {}); // settled below, or dropped when the port speaks TLS
    let base: string;
    try {
      base = await this.#probeDirect(probeUrl);
    } catch (err) {
      early.abort();
      throw err;
    }
    if (base !== plainBase) {
      early.abort();
      return this.#sendTo(base, method, path, accept);
    }
    return { base, res: await this.#authorized(method, `${base}${path}`, accept, plain) };
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

  #probeKey(): string {
    return `${this.ref.apiHost}|${this.#dispatcherKey}`;
  }

  #probedBase(): string | undefined {
    const known = probedSchemes.get(this.#probeKey());
    return known ? `${known}://${this.ref.apiHost}` : undefined;
  }

  /** The TLS probe of a registry reached directly (see sendFirst). */
  async #probeDirect(probeUrl: URL): Promise<string> {
    let answer: TlsProbeResult;
    try {
      const { probeTls } = await import("./tls-probe.js");
      answer = await probeTls(
        socketHost(probeUrl.hostname),
        Number(probeUrl.port) || 443,
        this.#signal,
        this.#timeoutMs,
      );
    } catch (err) {
      throw this.#abortError(err);
    }
    if (answer === "no-server") return `http://${this.ref.apiHost}`;
    const scheme = answer === "tls" ? "https" : "http";
    probedSchemes.set(this.#probeKey(), scheme);
    return `${scheme}://${this.ref.apiHost}`;
  }

  /** Through a proxy a handshake would be with the proxy: ask the registry itself over HTTPS. */
  async #askThroughProxy(probeUrl: URL): Promise<string> {
    const key = this.#probeKey();
    this.#requests++;
    try {
      await exchange(this.#dispatcher, {
        method: "GET",
        url: probeUrl.href,
        headers: { "user-agent": this.#opts.userAgent ?? DEFAULT_USER_AGENT },
        signal: this.#signal,
        idleTimeoutMs: this.#timeoutMs,
        maxBodyBytes: MAX_BODY_BYTES,
      });
      probedSchemes.set(key, "https");
      return `https://${this.ref.apiHost}`;
    } catch (err) {
      if (this.#signal.aborted) throw this.#abortError(err);
      const detail = `${errorCode(err)} ${err instanceof Error ? err.message : ""}`;
      if (CERT_ERROR.test(detail) && !TLS_ALERT.test(detail)) throw this.#untrusted(this.ref.apiHost, err);
      if (NOT_TLS.test(detail)) {
        probedSchemes.set(key, "http");
        return `http://${this.ref.apiHost}`;
      }
      if (NO_SERVER.test(detail)) return `http://${this.ref.apiHost}`;
      // TLS was spoken but the exchange failed (e.g. a client certificate is required):
      // stay on HTTPS so the real request reports the real problem.
      return `https://${this.ref.apiHost}`;
    }
  }

  get requests(): number {
    return this.#requests;
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

  /** Sends an authorized request to the registry, answering one auth challenge if needed. */
  send(method: "GET" | "HEAD", url: string, accept?: string): Promise<RegistryResponse> {
    return this.#authorized(method, url, accept, this.#sendWithRetry(method, url, this.#headers(accept)));
  }

  #headers(accept: string | undefined, withAuthorization = true): Record<string, string> {
    const h: Record<string, string> = { "user-agent": this.#opts.userAgent ?? DEFAULT_USER_AGENT };
    if (accept) h.accept = accept;
    if (withAuthorization && this.#authorization) h.authorization = this.#authorization;
    return h;
  }

  /** `first` (a request as sent so far), then one answered auth challenge if it was refused. */
  async #authorized(
    method: "GET" | "HEAD",
    url: string,
    accept: string | undefined,
    first: Promise<RegistryResponse>,
  ): Promise<RegistryResponse> {
    let res = await first;
    if (res.status === 401) {
      await this.#answerChallenge(res);
      res = await this.#sendWithRetry(method, url, this.#headers(accept));
      if (res.status === 401 || res.status === 403) throw await this.#authFailure(res);
    }
    if (res.status === 403) throw await this.#authFailure(res);
    return res;
  }

  async #credentialsOnce(): Promise<RegistryCredentials | undefined> {
    this.#credentials ??= resolveCredentials(this.ref, this.#opts);
    return this.#credentials;
  }

  async #authFailure(res: RegistryResponse): Promise<RegistryError> {
    const creds = await this.#credentialsOnce();
    const summary = registryErrorSummary(res.body);
    const who = creds ? "the configured credentials were rejected" : "anonymous access was denied";
    return this.fail(
      "auth",
      `authentication failed (HTTP ${res.status}): ${who}${summary ? ` (${summary})` : ""}`,
      { status: res.status },
    );
  }

  async #answerChallenge(res: RegistryResponse): Promise<void> {
    const challenge = pickChallenge(parseWwwAuthenticate(res.headers["www-authenticate"] ?? ""));
    if (!challenge) {
      throw this.fail("auth", "registry answered 401 without a Basic or Bearer challenge", { status: 401 });
    }
    const creds = await this.#credentialsOnce();
    if (challenge.scheme === "basic") {
      if (!creds || !("username" in creds) || !("password" in creds)) {
        throw this.fail(
          "auth",
          `registry ${this.ref.registry} requires a username and password; none found (secretRef, Docker config)`,
          { status: 401 },
        );
      }
      this.#authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
      return;
    }
    this.#authorization = `Bearer ${await this.#bearerToken(challenge, creds)}`;
  }

  async #bearerToken(challenge: AuthChallenge, creds: RegistryCredentials | undefined): Promise<string> {
    if (creds && "registryToken" in creds) return creds.registryToken;
    const realm = this.#checkedRealm(challenge.params.realm);
    const service = challenge.params.service ?? "";
    const scope = challenge.params.scope ?? `repository:${this.ref.repository}:pull`;
    const cacheKey = [this.ref.apiHost, realm.href, service, scope, await credentialFingerprint(creds)].join(
      "|",
    );
    const cached = this.#tokenCache.get(cacheKey);
    if (cached) return cached;

    const ua = this.#opts.userAgent ?? DEFAULT_USER_AGENT;
    let res: RegistryResponse;
    if (creds && "identityToken" in creds) {
      // OAuth2 refresh-token grant, as docker and go-containerregistry do for identity tokens.
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: this.#refreshToken ?? creds.identityToken,
        service,
        scope,
        client_id: "imagectl",
      });
      res = await this.#sendWithRetry(
        "POST",
        realm.href,
        { "user-agent": ua, "content-type": "application/x-www-form-urlencoded" },
        form.toString(),
      );
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set("service", service);
      for (const s of scope.split(" ")) url.searchParams.append("scope", s);
      if (creds && "username" in creds && "password" in creds)
        url.searchParams.set("account", creds.username);
      const h: Record<string, string> = { "user-agent": ua };
      if (creds && "password" in creds) {
        h.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
      }
      res = await this.#sendWithRetry("GET", url.href, h);
    }
    if (res.status === 401 || res.status === 403) {
      const who = creds ? "rejected the configured credentials" : "refused anonymous access";
      throw this.fail("auth", `token service at ${realm.origin} ${who} (HTTP ${res.status})`, {
        status: res.status,
      });
    }
    if (res.status !== 200) {
      throw this.fail("bad-response", `token service at ${realm.origin} answered HTTP ${res.status}`, {
        status: res.status,
      });
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    try {
      parsed = JSON.parse(res.body.toString("utf8")) as typeof parsed;
    } catch {
      throw this.fail("bad-response", `token service at ${realm.origin} did not answer JSON`);
    }
    const token =
      typeof parsed.token === "string" && parsed.token
        ? parsed.token
        : typeof parsed.access_token === "string"
          ? parsed.access_token
          : "";
    if (!token) throw this.fail("bad-response", `token service at ${realm.origin} answered without a token`);
    if (typeof parsed.refresh_token === "string" && parsed.refresh_token)
      this.#refreshToken = parsed.refresh_token;
    const lifetime =
      typeof parsed.expires_in === "number" && parsed.expires_in > 0
        ? parsed.expires_in
        : DEFAULT_TOKEN_LIFETIME_S;
    this.#tokenCache.set(cacheKey, token, lifetime);
    return token;
  }

  /** Guards against a challenge sending credentials somewhere odd (non-HTTP, or HTTP from an HTTPS registry). */
  #checkedRealm(realm: string | undefined): URL {
    let url: URL;
    try {
      url = new URL(realm ?? "");
    } catch {
      throw this.fail("bad-response", "Bearer challenge has no valid realm URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw this.fail("bad-response", `Bearer realm uses unsupported scheme ${url.protocol}`);
    }
    if (url.protocol === "http:" && this.ref.scheme === "https" && !this.#opts.insecure) {
      throw this.fail("bad-response", `Bearer realm ${url.origin} is plain HTTP for an HTTPS registry`);
    }
    return url;
  }

  async #sendWithRetry(
    method: "GET" | "HEAD" | "POST",
    url: string,
    headers: Record<string, string>,
    body?: string,
    signal: AbortSignal = this.#signal,
  ): Promise<RegistryResponse> {
    const host = new URL(url).host;
    const limiter: HostLimiter = hostLimiter(host, this.#opts.maxConcurrentPerHost);
    for (let attempt = 0; ; attempt++) {
      let res: RegistryResponse;
      try {
        res = await limiter(() => this.#once(method, url, headers, body, signal));
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        if (signal.aborted) throw this.#abortError(err);
        // An untrusted certificate will not become trusted by retrying: report it at once.
        const detail = `${errorCode(err)} ${err instanceof Error ? err.message : ""}`;
        if (CERT_ERROR.test(detail) && !TLS_ALERT.test(detail)) throw this.#untrusted(host, err);
        if (attempt >= this.#retry.retries) {
          throw this.fail(
            "unreachable",
            `cannot reach ${host} (${errorCode(err)}) after ${attempt + 1} attempts`,
            {
              cause: err,
            },
          );
        }
        await this.#pause(backoffDelay(attempt, this.#retry), signal);
        continue;
      }
      if (!RETRY_STATUSES.has(res.status) || attempt >= this.#retry.retries) return res;
      const retryAfter =
        res.status === 429 || res.status === 503
          ? parseRetryAfter(res.headers["retry-after"], this.#retry.retryAfterCapMs)
          : undefined;
      await this.#pause(retryAfter ?? backoffDelay(attempt, this.#retry), signal);
    }
  }

  async #pause(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (err) {
      throw this.#abortError(err);
    }
  }

  #untrusted(host: string, cause: unknown): RegistryError {
    const problem = this.#dispatcher.trustProblem();
    return this.fail(
      "unreachable",
      `TLS certificate of ${host} is not trusted (${errorCode(cause)})${problem ? `; ${problem}` : ""}`,
      { cause },
    );
  }

  #abortError(cause: unknown): RegistryError {
    if (this.#deadline.aborted) {
      return this.fail("timeout", `scan did not finish within ${this.#timeoutMs} ms`, { cause });
    }
    return this.fail("timeout", "scan was cancelled", { cause });
  }

  async #once(
    method: "GET" | "HEAD" | "POST",
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<RegistryResponse> {
    this.#requests++;
    try {
      const res = await exchangeFollowingRedirects(this.#dispatcher, {
        method,
        url,
        headers,
        body,
        signal,
        idleTimeoutMs: this.#timeoutMs,
        maxBodyBytes: MAX_BODY_BYTES,
      });
      return { status: res.status, headers: flattenHeaders(res.headers), body: res.body, url };
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        throw this.fail(
          "bad-response",
          `response from ${new URL(url).host} is larger than ${MAX_BODY_BYTES} bytes`,
        );
      }
      throw err;
    }
  }
}
