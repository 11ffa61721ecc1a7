// provider: azure end to end: @azure/identity's managed identity (App Service protocol, through
// IDENTITY_ENDPOINT + IDENTITY_HEADER) gives an Entra token for the ARM scope, ACR's
// /oauth2/exchange (a loopback front for the registry host, test/support/cloud/
// azure-identity-server.ts) turns it into a refresh token, and the real docker-registry behind
// the front accepts exactly 00000000-0000-0000-0000-000000000000:<refresh token>.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AcrFront,
  type AzureIdentityServer,
  refreshTokenWithExp,
  startAcrFront,
  startAppServiceIdentity,
} from "../../support/cloud/azure-identity-server.js";
import { startEntraAuthority } from "../../support/cloud/entra-server.js";
import { type CloudRig, readyOf, setEnv, startCloudRig } from "../../support/cloud/harness.js";

const ACR_USER = "00000000-0000-0000-0000-000000000000";
const ACR_HOST = "fleetacr.azurecr.io";
const SHORT_HOST = "shortlived.azurecr.io";
const AAD_TOKEN = `eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJhcm0ifQ.${Math.random().toString(36).slice(2)}`;
const now = (): number => Math.floor(Date.now() / 1000);
// bcrypt reads 72 bytes of a password, so the refresh tokens here are short JWTs.
const LONG_REFRESH = refreshTokenWithExp(now() + 3 * 3600);
// Ten seconds from its end: under the cache's 30 s margin, so never kept.
const SHORT_REFRESH = refreshTokenWithExp(now() + 10);

let rig: CloudRig;
let shortRig: CloudRig;
let identity: AzureIdentityServer;
let front: AcrFront;
let shortFront: AcrFront;
let restoreEnv: () => void;

beforeAll(async () => {
  [rig, shortRig] = await Promise.all([
    startCloudRig({
      registryHost: ACR_HOST,
      otherHosts: ["denied.azurecr.io", "stalled.azurecr.us", "workload.azurecr.io"],
      username: ACR_USER,
      password: LONG_REFRESH,
    }),
    startCloudRig({ registryHost: SHORT_HOST, username: ACR_USER, password: SHORT_REFRESH }),
  ]);
  await Promise.all([
    rig.registry.pushTags("team/app", ["1.0.0", "1.0.1"]),
    shortRig.registry.pushTags("team/app", ["3.0.0"]),
  ]);
  identity = await startAppServiceIdentity(rig.servers, AAD_TOKEN);
  const frontFor = async (r: CloudRig, host: string, refresh: string): Promise<AcrFront> => {
    const pki = r.registry.pki;
    if (!pki) throw new Error("tls registry without pki");
    const f = await startAcrFront(r.servers, {
      pki,
      registry: host,
      registryPort: Number(r.registry.host.split(":")[1]),
      aadToken: AAD_TOKEN,
      refreshToken: () => refresh,
    });
    r.route(host, f.target);
    return f;
  };
  front = await frontFor(rig, ACR_HOST, LONG_REFRESH);
  shortFront = await frontFor(shortRig, SHORT_HOST, SHORT_REFRESH);
  restoreEnv = setEnv({
    // @azure/identity's managed identity for App Service; nothing else in the chain applies.
    IDENTITY_ENDPOINT: identity.endpoint,
    IDENTITY_HEADER: identity.header,
    AZURE_CLIENT_ID: undefined,
    AZURE_TENANT_ID: undefined,
    AZURE_CLIENT_SECRET: undefined,
    AZURE_CLIENT_CERTIFICATE_PATH: undefined,
    AZURE_FEDERATED_TOKEN_FILE: undefined,
    AZURE_USERNAME: undefined,
    MSI_ENDPOINT: undefined,
    MSI_SECRET: undefined,
    IDENTITY_SERVER_THUMBPRINT: undefined,
    IMDS_ENDPOINT: undefined,
  });
}, 60_000);

afterAll(async () => {
  restoreEnv?.();
  await Promise.all([rig?.stop(), shortRig?.stop()]);
});

const exchanged = (f: AcrFront): number => f.exchanges.filter((e) => e === "").length;

describe("provider: azure", () => {
  // A failed test must not leave the exchange refusing or the identity endpoint stalled.
  afterEach(() => {
    front.mode = "token";
    identity.mode = "token";
  });

  it("lists the tags with the ACR refresh token exchanged for the managed identity's Entra token", async () => {
    await rig.repository("app", { provider: "azure", image: `${ACR_HOST}/team/app` });
    const obj = await rig.scan("app");
    expect(readyOf(obj)).toMatchObject({ status: "True", reason: "Succeeded" });
    expect(obj.status?.lastScanResult?.tagCount).toBe(2);
    expect(front.exchanges).toEqual([""]);
    // The Resource Manager audience Flux asks for in Azure's public cloud.
    expect(identity.resources.at(-1)).toMatch(/^https:\/\/management\.azure\.com\/?$/);
    // The Entra token request, the exchange and the scan all went through spec.proxySecretRef.
    expect(rig.proxy.forwarded.some((f) => f.startsWith(`GET ${identity.endpoint}?`))).toBe(true);
    expect(rig.proxy.tunnels).toContain(`${ACR_HOST}:443`);
  });

  it("keeps the refresh token until its exp nears: a second scan makes no exchange", async () => {
    expect(readyOf(await rig.scan("app")).status).toBe("True");
    expect(exchanged(front)).toBe(1);
  });

  it("reads the refresh token's exp: one at its end is exchanged again on every scan", async () => {
    await shortRig.repository("short", { provider: "azure", image: `${SHORT_HOST}/team/app` });
    expect(readyOf(await shortRig.scan("short")).status).toBe("True");
    expect(readyOf(await shortRig.scan("short")).status).toBe("True");
    expect(exchanged(shortFront)).toBe(2);
  });

  it("is AuthenticationFailed with ACR's words when the exchange is refused, and no token leaks", async () => {
    front.mode = "deny";
    rig.route("denied.azurecr.io", front.target);
    await rig.repository("denied", {
      provider: "azure",
      image: "denied.azurecr.io/team/app",
      secretRef: { name: "ignored-for-azure" }, // not read for a cloud provider, as in Flux
    });
    const refused = await rig.scan("denied");
    expect(readyOf(refused)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(refused).message).toContain(
      "spec.provider 'azure': ACR refresh-token exchange for 'denied.azurecr.io' failed",
    );
    expect(readyOf(refused).message).toContain("HTTP 401");
    const visible = await rig.visibleText("denied");
    expect(visible).not.toContain(AAD_TOKEN);
    expect(visible).not.toContain(AAD_TOKEN.split(".")[2]);
    expect(visible).not.toContain(LONG_REFRESH);
  });

  it("names spec.provider and spec.image when the image is not on ACR", async () => {
    await rig.repository("elsewhere", { provider: "azure", image: "myacr.azurecr.example.com/team/app" });
    const obj = await rig.scan("elsewhere");
    expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(obj).message).toContain(
      "spec.provider 'azure' needs spec.image on an Azure Container Registry",
    );
    expect(readyOf(obj).message).toContain("is on 'myacr.azurecr.example.com'");
  });

  it("stops waiting for a stalled identity endpoint at spec.timeout", async () => {
    identity.mode = "stall";
    rig.route("stalled.azurecr.us", front.target);
    await rig.repository("stalled", {
      provider: "azure",
      image: "stalled.azurecr.us/team/app",
      timeout: "1s",
    });
    const obj = await rig.scan("stalled");
    expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(obj).message).toContain("spec.timeout");
    // Azure Government's Resource Manager audience for an .azurecr.us registry.
    expect(identity.resources.at(-1)).toMatch(/^https:\/\/management\.usgovcloudapi\.net\/?$/);
  });
});

describe("provider: azure with workload identity (what Flux uses)", () => {
  it("exchanges the federated token at the Entra authority, then at ACR, and scans", async () => {
    const pki = rig.registry.pki;
    if (!pki || !rig.registry.caPath) throw new Error("tls registry without pki");
    const assertion = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.${Math.random().toString(36).slice(2)}`;
    const entra = await startEntraAuthority(rig.servers, {
      pki,
      tenant: "72f988bf-0000-0000-0000-2d7cd011db47",
      clientId: "6f1b3c2a-0000-0000-0000-9a8b7c6d5e4f",
      assertion,
      accessToken: AAD_TOKEN,
    });
    const tokenFile = join(mkdtempSync(join(tmpdir(), "imagectl-wi-")), "azure-identity-token");
    writeFileSync(tokenFile, assertion);
    const restore = setEnv({
      IDENTITY_ENDPOINT: undefined,
      IDENTITY_HEADER: undefined,
      AZURE_AUTHORITY_HOST: entra.url,
      AZURE_TENANT_ID: "72f988bf-0000-0000-0000-2d7cd011db47",
      AZURE_CLIENT_ID: "6f1b3c2a-0000-0000-0000-9a8b7c6d5e4f",
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      // The authority's certificate is the test CA's, trusted as an operator would.
      NODE_EXTRA_CA_CERTS: rig.registry.caPath,
    });
    try {
      rig.route("workload.azurecr.io", front.target);
      await rig.repository("workload", { provider: "azure", image: "workload.azurecr.io/team/app" });
      const before = exchanged(front);
      const obj = await rig.scan("workload");
      expect(readyOf(obj), readyOf(obj).message).toMatchObject({ status: "True", reason: "Succeeded" });
      expect(entra.tokens).toEqual([{ scope: "https://management.azure.com/.default", refused: "" }]);
      expect(exchanged(front)).toBe(before + 1);
      // The authority was reached through spec.proxySecretRef as well.
      expect(rig.proxy.tunnels).toContain(new URL(entra.url).host);
      expect(await rig.visibleText("workload")).not.toContain(assertion);
    } finally {
      restore();
    }
  });
});
