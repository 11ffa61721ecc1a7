/**
 * Amazon ECR: `GetAuthorizationToken` through @aws-sdk/client-ecr, whose default credential
 * chain finds the identity (environment keys, shared config and SSO, IRSA web identity, EKS Pod
 * Identity, ECS task role, EC2 instance profile) and which honours `AWS_ENDPOINT_URL_ECR` /
 * `AWS_ENDPOINT_URL`. The region is the registry's, from its host (Flux does the same, so the
 * node's own identity works without AWS_REGION). Loaded only when a repository says `provider: aws`
 * for a private ECR registry; `public.ecr.aws` goes through ecr-public.ts.
 */
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import type { CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";
import { awsApiAgent, ecrCredentialsFrom } from "./ecr-token.js";
import { withinSignal } from "./errors.js";
import type { CloudRegistry } from "./hosts.js";

export async function mintEcrCredentials(
  reg: Extract<CloudRegistry, { provider: "aws" }>,
  ctx: MintContext,
): Promise<CloudCredentials> {
  const apiUrl = new URL(`https://api.ecr${reg.fips ? "-fips" : ""}.${reg.region}.amazonaws.com/`);
  const client = new ECRClient({
    region: reg.region,
    useFipsEndpoint: reg.fips,
    requestHandler: { httpsAgent: awsApiAgent(apiUrl, ctx) },
  });
  const out = await withinSignal(ctx.signal, `ECR GetAuthorizationToken in ${reg.region}`, () =>
    client.send(new GetAuthorizationTokenCommand({}), { abortSignal: ctx.signal }),
  );
  return ecrCredentialsFrom(out.authorizationData?.[0]);
}
