import { basicAuthorization, bearerToken } from "./bearer-token.js";
import { resolveCredentials } from "./credentials.js";
import type { RegistryCredentials } from "./docker-config.js";
import { registryErrorSummary } from "./error-summary.js";
import type { RegistryError } from "./errors.js";
import type { RegistryOperation } from "./operation.js";
import { sendWithRetry } from "./retry.js";
import type { RegistryResponse } from "./transport.js";
import { parseWwwAuthenticate, pickChallenge } from "./www-authenticate.js";

/**
 * The auth state of one operation: the credentials (resolved once, and only when a registry
 * asks), the Authorization header that worked, and the refresh token a token service handed out.
 */
export class RegistryAuth {
  readonly #op: RegistryOperation;
  #credentials: Promise<RegistryCredentials | undefined> | undefined;
  #authorization: string | undefined;
  #refreshToken: string | undefined;

  constructor(op: RegistryOperation) {
    this.#op = op;
  }

  headers(accept: string | undefined, withAuthorization = true): Record<string, string> {
    const h: Record<string, string> = { "user-agent": this.#op.userAgent };
    if (accept) h.accept = accept;
    if (withAuthorization && this.#authorization) h.authorization = this.#authorization;
    return h;
  }

  /** `first` (a request as sent so far), then one answered auth challenge if it was refused. */
  async authorized(
    method: "GET" | "HEAD",
    url: string,
    accept: string | undefined,
    first: Promise<RegistryResponse>,
  ): Promise<RegistryResponse> {
    let res = await first;
    if (res.status === 401) {
      await this.#answerChallenge(res);
      res = await sendWithRetry(this.#op, method, url, this.headers(accept));
      if (res.status === 401 || res.status === 403) throw await this.#authFailure(res);
    }
    if (res.status === 403) throw await this.#authFailure(res);
    return res;
  }

  async #credentialsOnce(): Promise<RegistryCredentials | undefined> {
    this.#credentials ??= resolveCredentials(this.#op.ref, this.#op.opts);
    return this.#credentials;
  }

  async #authFailure(res: RegistryResponse): Promise<RegistryError> {
    const creds = await this.#credentialsOnce();
    const summary = await registryErrorSummary(res.body);
    const who = creds ? "the configured credentials were rejected" : "anonymous access was denied";
    return this.#op.fail(
      "auth",
      `authentication failed (HTTP ${res.status}): ${who}${summary ? ` (${summary})` : ""}`,
      { status: res.status },
    );
  }

  async #answerChallenge(res: RegistryResponse): Promise<void> {
    const op = this.#op;
    const challenge = pickChallenge(parseWwwAuthenticate(res.headers["www-authenticate"] ?? ""));
    if (!challenge) {
      throw op.fail("auth", "registry answered 401 without a Basic or Bearer challenge", { status: 401 });
    }
    const creds = await this.#credentialsOnce();
    if (challenge.scheme === "basic") {
      if (!creds || !("username" in creds) || !("password" in creds)) {
        throw op.fail(
          "auth",
          `registry ${op.ref.registry} requires a username and password; none found (secretRef, Docker config)`,
          { status: 401 },
        );
      }
      this.#authorization = basicAuthorization(creds.username, creds.password);
      return;
    }
    const granted = await bearerToken(op, challenge, creds, this.#refreshToken);
    if (granted.refreshToken) this.#refreshToken = granted.refreshToken;
    this.#authorization = `Bearer ${granted.token}`;
  }
}
