import type { RegistryCredentials } from "./docker-config.js";
import type { RegistryOperation } from "./operation.js";
import { sendWithRetry } from "./retry.js";
import { sharedTokenCache } from "./token-cache.js";
import type { RegistryResponse } from "./transport.js";
import type { AuthChallenge } from "./www-authenticate.js";

const DEFAULT_TOKEN_LIFETIME_S = 60;

export interface BearerToken {
  token: string;
  /** A refresh token the token service handed out, for the next grant of this operation. */
  refreshToken?: string;
}

// node:crypto is loaded only when a token is needed: it is a measurable part of CLI start-up.
async function credentialFingerprint(creds: RegistryCredentials | undefined): Promise<string> {
  if (!creds) return "anonymous";
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(JSON.stringify(creds)).digest("hex").slice(0, 32);
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** Guards against a challenge sending credentials somewhere odd (non-HTTP, or HTTP from an HTTPS registry). */
function checkedRealm(op: RegistryOperation, realm: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(realm ?? "");
  } catch {
    throw op.fail("bad-response", "Bearer challenge has no valid realm URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw op.fail("bad-response", `Bearer realm uses unsupported scheme ${url.protocol}`);
  }
  if (url.protocol === "http:" && op.ref.scheme === "https" && !op.opts.insecure) {
    throw op.fail("bad-response", `Bearer realm ${url.origin} is plain HTTP for an HTTPS registry`);
  }
  return url;
}

/**
 * A token for a Bearer challenge: the credentials' own registry token, a cached one, or a
 * fresh grant from the challenge's realm (an OAuth2 refresh-token POST for an identity token,
 * else a GET with Basic credentials or anonymously), cached per registry, realm, service,
 * scope and credential identity.
 */
export async function bearerToken(
  op: RegistryOperation,
  challenge: AuthChallenge,
  creds: RegistryCredentials | undefined,
  refreshToken: string | undefined,
): Promise<BearerToken> {
  if (creds && "registryToken" in creds) return { token: creds.registryToken };
  const realm = checkedRealm(op, challenge.params.realm);
  const service = challenge.params.service ?? "";
  const scope = challenge.params.scope ?? `repository:${op.ref.repository}:pull`;
  const cacheKey = [op.ref.apiHost, realm.href, service, scope, await credentialFingerprint(creds)].join("|");
  const tokenCache = op.opts.tokenCache ?? sharedTokenCache;
  const cached = tokenCache.get(cacheKey);
  if (cached) return { token: cached };

  let res: RegistryResponse;
  if (creds && "identityToken" in creds) {
    // OAuth2 refresh-token grant, as docker and go-containerregistry do for identity tokens.
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken ?? creds.identityToken,
      service,
      scope,
      client_id: "imagectl",
    });
    res = await sendWithRetry(
      op,
      "POST",
      realm.href,
      { "user-agent": op.userAgent, "content-type": "application/x-www-form-urlencoded" },
      form.toString(),
    );
  } else {
    const url = new URL(realm);
    if (service) url.searchParams.set("service", service);
    for (const s of scope.split(" ")) url.searchParams.append("scope", s);
    if (creds && "username" in creds && "password" in creds) url.searchParams.set("account", creds.username);
    const h: Record<string, string> = { "user-agent": op.userAgent };
    if (creds && "password" in creds) h.authorization = basicAuthorization(creds.username, creds.password);
    res = await sendWithRetry(op, "GET", url.href, h);
  }
  if (res.status === 401 || res.status === 403) {
    const who = creds ? "rejected the configured credentials" : "refused anonymous access";
    throw op.fail("auth", `token service at ${realm.origin} ${who} (HTTP ${res.status})`, {
      status: res.status,
    });
  }
  if (res.status !== 200) {
    throw op.fail("bad-response", `token service at ${realm.origin} answered HTTP ${res.status}`, {
      status: res.status,
    });
  }
  const answer = (await import("./response-checks.js")).tokenAnswer(op, realm, res.body);
  tokenCache.set(cacheKey, answer.token, answer.expiresIn ?? DEFAULT_TOKEN_LIFETIME_S);
  return { token: answer.token, refreshToken: answer.refreshToken };
}
