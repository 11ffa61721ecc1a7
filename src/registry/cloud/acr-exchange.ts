/**
 * ACR's `POST /oauth2/exchange` (Azure/acr docs/AAD-OAuth.md): an Entra ID access token for a
 * refresh token the registry accepts as the password of 00000000-0000-0000-0000-000000000000.
 * Hand-written over the registry client's own exchange: the call goes to the registry's host,
 * so it takes the same proxy and TLS trust as the scan, and no Azure package is needed for one
 * form POST (Flux uses azcontainerregistry's client, which does the same request).
 */
import * as z from "zod/mini";
import { checkJson } from "../checked-json.js";
import { dispatcherFor } from "../dispatcher.js";
import { exchange } from "../http-exchange.js";
import { errorSummary } from "../response-checks.js";
import type { MintContext } from "./context.js";

const ExchangeBody = z.object({ refresh_token: z.string() });
const IDLE_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 64 * 1024;

/** The registry refused the exchange or answered something else; never quotes a token. */
export class AcrExchangeError extends Error {
  override name = "AcrExchangeError";
}

export interface AcrRefreshToken {
  refreshToken: string;
  /** Epoch milliseconds, from the token's `exp` claim (as Flux reads it); undefined if absent. */
  expiresAt: number | undefined;
}

export async function exchangeForAcrRefreshToken(
  registry: string,
  aadAccessToken: string,
  ctx: MintContext,
): Promise<AcrRefreshToken> {
  const url = `https://${registry}/oauth2/exchange`;
  const body = new URLSearchParams({
    grant_type: "access_token",
    service: registry,
    access_token: aadAccessToken,
  }).toString();
  const res = await exchange(dispatcherFor({ tls: ctx.tls, env: ctx.env, proxy: ctx.proxy }), {
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body,
    signal: ctx.signal,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  if (res.status !== 200) {
    const summary = errorSummary(res.body);
    throw new AcrExchangeError(`${url} answered HTTP ${res.status}${summary ? `: ${summary}` : ""}`);
  }
  const checked = checkJson(ExchangeBody, res.body.toString("utf8"));
  if (!checked.ok) throw new AcrExchangeError(`answer of ${url} ${checked.problem}`);
  return { refreshToken: checked.value.refresh_token, expiresAt: jwtExpiry(checked.value.refresh_token) };
}

/** The `exp` claim of a JWT, read without verifying it (the registry verifies; we only schedule). */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (typeof claims === "object" && claims !== null && "exp" in claims && typeof claims.exp === "number")
      return claims.exp * 1000;
  } catch {
    // Not a JWT: the caller falls back to the Entra token's expiry.
  }
  return undefined;
}
