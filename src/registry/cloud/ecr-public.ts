/**
 * Amazon ECR Public (`public.ecr.aws`), as Flux's provider aws reaches it: ECR Public's
 * `GetAuthorizationToken` (JSON 1.1 target `SpencerFrontendService`, SigV4 service `ecr-public`)
 * through @aws-sdk/client-ecr-public in us-east-1, the one region serving it. Same identity chain
 * as ECR (aws.ts); the endpoint override is `AWS_ENDPOINT_URL_ECR_PUBLIC` (the SDK's name for
 * service id "ECR PUBLIC") or `AWS_ENDPOINT_URL`. A module of its own so that a private ECR
 * registry never loads this SDK, nor public.ecr.aws the ECR one.
 */
import { ECRPUBLICClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr-public";
import type { CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";
import { awsApiAgent, ecrCredentialsFrom } from "./ecr-token.js";
import { withinSignal } from "./errors.js";
import type { CloudRegistry } from "./hosts.js";

export async function mintEcrPublicCredentials(
  reg: Extract<CloudRegistry, { provider: "aws" }>,
  ctx: MintContext,
): Promise<CloudCredentials> {
  // The API host the SDK's endpoint rules give for the region: it picks the proxy route.
  const apiUrl = new URL(`https://api.ecr-public.${reg.region}.amazonaws.com/`);
  const client = new ECRPUBLICClient({
    region: reg.region,
    requestHandler: { httpsAgent: awsApiAgent(apiUrl, ctx) },
  });
  const out = await withinSignal(ctx.signal, `ECR Public GetAuthorizationToken in ${reg.region}`, () =>
    client.send(new GetAuthorizationTokenCommand({}), { abortSignal: ctx.signal }),
  );
  // Unlike ECR, one authorizationData object rather than a list: the token is for the registry.
  return ecrCredentialsFrom(out.authorizationData);
}
