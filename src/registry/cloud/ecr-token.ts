/**
 * What the ECR exchange (aws.ts) and the ECR Public one (ecr-public.ts) share, kept free of
 * either SDK so that loading one never loads the other: the HTTPS agent their API call goes
 * through, and the reading of the `authorizationToken` both answer with.
 */
import type { Agent } from "node:http";
import { dispatcherFor } from "../dispatcher.js";
import type { CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";

/** The answer had no usable token; the message never quotes it. */
export class EcrAnswerError extends Error {
  override name = "EcrAnswerError";
}

/**
 * The HTTPS agent of the registry client for the AWS API at `apiUrl`: the same proxy
 * (proxySecretRef, else HTTPS_PROXY and NO_PROXY) and the same trust (system roots plus
 * NODE_EXTRA_CA_CERTS, which the launcher keeps from Node's own store). A client handed it is
 * not destroyed after use, since that would close this shared agent; it holds nothing else.
 */
export function awsApiAgent(apiUrl: URL, ctx: MintContext): Agent {
  // The SDK warns on stderr, once per process, that releases after January 2027 will need Node
  // 22: news for whoever upgrades the pinned SDK, noise in every `run --once` output. Its own
  // documented switch turns it off, unless the operator has set it either way.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return dispatcherFor({ env: ctx.env, proxy: ctx.proxy }).route(apiUrl).agent;
}

/** Username, password and expiry from an ECR or ECR Public `authorizationData` entry. */
export function ecrCredentialsFrom(
  data: { authorizationToken?: string | undefined; expiresAt?: Date | undefined } | undefined,
): CloudCredentials {
  if (!data?.authorizationToken) throw new EcrAnswerError("the answer carries no authorizationToken");
  if (!data.expiresAt) throw new EcrAnswerError("the answer carries no expiresAt");
  // base64 of "AWS:<password>"; exactly one colon, as Flux insists.
  const parts = Buffer.from(data.authorizationToken, "base64").toString("utf8").split(":");
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new EcrAnswerError("authorizationToken is not base64 of 'user:password'");
  return { username: parts[0], password: parts[1], expiresAt: data.expiresAt.getTime() };
}
