/**
 * Amazon ECR: `GetAuthorizationToken` through @aws-sdk/client-ecr, whose default credential
 * chain finds the identity (environment keys, shared config and SSO, IRSA web identity, EKS Pod
 * Identity, ECS task role, EC2 instance profile) and which honours `AWS_ENDPOINT_URL_ECR` /
 * `AWS_ENDPOINT_URL`. The region is the registry's, from its host (Flux does the same, so the
 * node's own identity works without AWS_REGION). Loaded only when a repository says `provider: aws`.
 */
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { dispatcherFor } from "../dispatcher.js";
import type { CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";
import { withinSignal } from "./errors.js";
import type { CloudRegistry } from "./hosts.js";

/** The answer had no usable token; the message never quotes it. */
export class EcrAnswerError extends Error {
  override name = "EcrAnswerError";
}

export async function mintEcrCredentials(
  reg: Extract<CloudRegistry, { provider: "aws" }>,
  ctx: MintContext,
): Promise<CloudCredentials> {
  // The HTTPS agent of the registry client: the same proxy (proxySecretRef, else HTTPS_PROXY and
  // NO_PROXY) and the same trust (system roots plus NODE_EXTRA_CA_CERTS, which the launcher keeps
  // from Node's own store). The client is not destroyed after use, since that would close this
  // shared agent; it holds nothing else.
  // The SDK warns on stderr, once per process, that releases after January 2027 will need Node
  // 22: news for whoever upgrades the pinned SDK, noise in every `run --once` output. Its own
  // documented switch turns it off, unless the operator has set it either way.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const apiUrl = new URL(`https://api.ecr${reg.fips ? "-fips" : ""}.${reg.region}.amazonaws.com/`);
  const httpsAgent = dispatcherFor({ env: ctx.env, proxy: ctx.proxy }).route(apiUrl).agent;
  const client = new ECRClient({
    region: reg.region,
    useFipsEndpoint: reg.fips,
    requestHandler: { httpsAgent },
  });
  const out = await withinSignal(ctx.signal, `ECR GetAuthorizationToken in ${reg.region}`, () =>
    client.send(new GetAuthorizationTokenCommand({}), { abortSignal: ctx.signal }),
  );
  const data = out.authorizationData?.[0];
  if (!data?.authorizationToken) throw new EcrAnswerError("the answer carries no authorizationToken");
  if (!data.expiresAt) throw new EcrAnswerError("the answer carries no expiresAt");
  // base64 of "AWS:<password>"; exactly one colon, as Flux insists.
  const parts = Buffer.from(data.authorizationToken, "base64").toString("utf8").split(":");
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new EcrAnswerError("authorizationToken is not base64 of 'user:password'");
  return { username: parts[0], password: parts[1], expiresAt: data.expiresAt.getTime() };
}
