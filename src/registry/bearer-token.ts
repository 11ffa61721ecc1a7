import type { RegistryCredentials } from "./docker-config.js";
import type { RegistryOperation } from "./operation.js";
import { isLoopbackRegistry } from "./reference.js";
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

/**
 * Where a Bearer challenge may send us. The realm gets the credentials (Basic, or an identity
 * token), as in go-containerregistry, which sends them to the registry and its realm only; on
 * top of that, where plain HTTP may go: HTTPS anywhere; plain HTTP only on
 * the registry's own host when that registry is already spoken to in plain HTTP (loopback or
 * `insecure`: the credentials would go there in the clear anyway), or on a loopback address when
 * the repository is `insecure` (a local token service beside a local registry). A challenge from
 * a hostile or misconfigured registry can thus not collect credentials in the clear elsewhere.
 */
function checkedRealm(op: RegistryOperation, realm: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(realm ?? "");
  } catch {
    throw op.fail("bad-response", "Bearer challenge has no valid realm URL");
  }
  if (url.protocol === "https:") return url;
  if (url.protocol !== "http:") {
    throw op.fail("bad-response", `Bearer realm uses unsupported scheme ${url.protocol}`);
  }
  const registryHost = new URL(`http://${op.ref.apiHost}`).hostname;
  if (op.ref.scheme === "http" && url.hostname === registryHost) return url;
  if (op.opts.insecure && isLoopbackRegistry(url.host)) return url;
  throw op.fail(
    "auth",
    `refusing the token realm ${url.host} in plain HTTP for repository ${op.ref.canonicalName}: ` +
      (op.ref.scheme === "https"
        ? `the registry ${op.ref.apiHost} is HTTPS, and credentials must not leave it unencrypted`
        : `a plain-HTTP realm must be on the registry's own host (${registryHost})${op.opts.insecure ? " or on loopback" : ", or on loopback for an insecure repository"}`),
  );
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
