/**
 * Azure Container Registry: an Entra ID access token for the Resource Manager scope of the
 * registry's cloud (Flux's choice) from @azure/identity, then ACR's refresh-token exchange
 * (acr-exchange.ts). The chain is Flux's DefaultAzureCredential without shell-outs: environment
 * (service principal secret or certificate), workload identity (AZURE_FEDERATED_TOKEN_FILE),
 * managed identity (IMDS, App Service / Functions IDENTITY_ENDPOINT, Arc, Cloud Shell).
 * Loaded only when a repository says `provider: azure`.
 */
import {
  AzureAuthorityHosts,
  ChainedTokenCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredentialOptions,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { dispatcherFor } from "../dispatcher.js";
import { exchangeForAcrRefreshToken } from "./acr-exchange.js";
import type { CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";
import { withinSignal } from "./errors.js";
import type { CloudRegistry } from "./hosts.js";

/** The username ACR documents for refresh tokens (`az acr login --expose-token`). */
export const ACR_REFRESH_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

export async function mintAcrCredentials(
  reg: Extract<CloudRegistry, { provider: "azure" }>,
  ctx: MintContext,
): Promise<CloudCredentials> {
  const common: TokenCredentialOptions & { disableInstanceDiscovery?: boolean } = {
    additionalPolicies: [{ policy: httpsAgentPolicy(ctx), position: "perCall" }],
    ...(ctx.proxy ? { proxyOptions: proxySettings(ctx.proxy) } : {}),
    // An authority outside Microsoft's clouds (Azure Stack Hub, a private cloud) is not known to
    // login.microsoftonline.com's instance discovery, which would refuse it: the SDK's option
    // for such hosts skips that lookup. Microsoft's own hosts keep it.
    ...(customAuthority(ctx.env.AZURE_AUTHORITY_HOST) ? { disableInstanceDiscovery: true } : {}),
  };
  const clientId = ctx.env.AZURE_CLIENT_ID;
  // WorkloadIdentityCredential refuses to be built without its variables (it throws in its
  // constructor, which would end the chain), so it joins only where the federated token file is
  // set, as DefaultAzureCredential decides too; then a missing client or tenant id is an error.
  const credential = new ChainedTokenCredential(
    new EnvironmentCredential(common),
    ...(ctx.env.AZURE_FEDERATED_TOKEN_FILE ? [new WorkloadIdentityCredential(common)] : []),
    clientId ? new ManagedIdentityCredential({ ...common, clientId }) : new ManagedIdentityCredential(common),
  );
  const aad = await withinSignal(ctx.signal, "Entra ID token request", () =>
    credential.getToken(reg.scope, { abortSignal: ctx.signal }),
  );
  const acr = await exchangeForAcrRefreshToken(reg.registry, aad.token, ctx);
  return {
    username: ACR_REFRESH_TOKEN_USERNAME,
    password: acr.refreshToken,
    expiresAt: acr.expiresAt ?? aad.expiresOnTimestamp,
  };
}

function customAuthority(host: string | undefined): boolean {
  if (!host) return false;
  const known: readonly string[] = Object.values(AzureAuthorityHosts);
  return !known.includes(host.replace(/\/+$/, ""));
}

type PipelinePolicy = NonNullable<TokenCredentialOptions["additionalPolicies"]>[number]["policy"];

/**
 * HTTPS requests to Entra ID (token, discovery, workload identity) take the registry client's
 * agent: the same proxy and the same trust, system roots plus NODE_EXTRA_CA_CERTS, which the
 * launcher keeps from Node's own store (Node's default agent would not trust a TLS-inspecting
 * proxy's CA). The pipeline's proxy policy leaves a request that has an agent alone; plain-HTTP
 * managed identity endpoints keep the pipeline's own agents and `proxyOptions`.
 */
function httpsAgentPolicy(ctx: MintContext): PipelinePolicy {
  const dispatcher = dispatcherFor({ env: ctx.env, proxy: ctx.proxy });
  return {
    name: "imagectlHttpsAgent",
    sendRequest(request, next) {
      const url = new URL(request.url);
      if (url.protocol === "https:") request.agent = dispatcher.route(url).agent;
      return next(request);
    },
  };
}

/** @azure/core-rest-pipeline wants the proxy in parts; the userinfo becomes its credentials. */
function proxySettings(proxy: URL): NonNullable<TokenCredentialOptions["proxyOptions"]> {
  return {
    host: `${proxy.protocol}//${proxy.hostname}`,
    port: Number(proxy.port) || (proxy.protocol === "https:" ? 443 : 80),
    ...(proxy.username ? { username: decodeURIComponent(proxy.username) } : {}),
    ...(proxy.password ? { password: decodeURIComponent(proxy.password) } : {}),
  };
}
