/**
 * Azure Container Registry: an Entra ID access token for the Resource Manager scope of the
 * registry's cloud (Flux's choice) from @azure/identity, then ACR's refresh-token exchange
 * (acr-exchange.ts). The chain is Flux's DefaultAzureCredential without shell-outs: environment
 * (service principal secret or certificate), workload identity (AZURE_FEDERATED_TOKEN_FILE),
 * managed identity (IMDS, App Service / Functions IDENTITY_ENDPOINT, Arc, Cloud Shell).
 * Loaded only when a repository says `provider: azure`.
 */
import {
  ChainedTokenCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredentialOptions,
  WorkloadIdentityCredential,
} from "@azure/identity";
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
  const common = ctx.proxy ? { proxyOptions: proxySettings(ctx.proxy) } : {};
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

/** @azure/core-rest-pipeline wants the proxy in parts; the userinfo becomes its credentials. */
function proxySettings(proxy: URL): NonNullable<TokenCredentialOptions["proxyOptions"]> {
  return {
    host: `${proxy.protocol}//${proxy.hostname}`,
    port: Number(proxy.port) || (proxy.protocol === "https:" ? 443 : 80),
    ...(proxy.username ? { username: decodeURIComponent(proxy.username) } : {}),
    ...(proxy.password ? { password: decodeURIComponent(proxy.password) } : {}),
  };
}
