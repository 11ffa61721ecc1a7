// provider: aws end to end: the AWS SDK's GetAuthorizationToken against a loopback ECR endpoint
// that checks JSON 1.1, X-Amz-Target and the SigV4 signature (test/support/cloud/ecr-server.ts),
// then the real docker-registry under an ECR host name accepting exactly AWS:<password>.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EcrServer, startEcrServer } from "../../support/cloud/ecr-server.js";
import { awsKeysEnv, type CloudRig, readyOf, setEnv, startCloudRig } from "../../support/cloud/harness.js";
import { startStsServer } from "../../support/cloud/sts-server.js";
import { ecrRefusalTests } from "./ecr-refusals.js";

const ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const EXPIRING_HOST = "210987654321.dkr.ecr.us-east-1.amazonaws.com";
const REVOKED_HOST = "666666666666.dkr.ecr.us-east-1.amazonaws.com";
const IRSA_HOST = "777777777777.dkr.ecr.us-east-1.amazonaws.com";
const PASSWORD = `ecr-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const SECRET_KEY = `secret/${Math.random().toString(36).slice(2)}`;

let rig: CloudRig;
let ecr: EcrServer;
let restoreEnv: () => void;

beforeAll(async () => {
  rig = await startCloudRig({
    registryHost: ECR_HOST,
    otherHosts: [EXPIRING_HOST, REVOKED_HOST, IRSA_HOST],
    username: "AWS",
    password: PASSWORD,
  });
  await rig.registry.pushTags("team/app", ["1.0.0", "1.1.0", "2.0.0"]);
  const pki = rig.registry.pki;
  if (!pki) throw new Error("tls registry without pki");
  ecr = await startEcrServer(rig.servers, {
    pki,
    region: "us-east-1",
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: SECRET_KEY,
    password: PASSWORD,
  });
  restoreEnv = setEnv(
    awsKeysEnv({
      // The SDK's documented endpoint override; the region comes from the host, not AWS_REGION.
      endpoints: { AWS_ENDPOINT_URL_ECR: ecr.url },
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: SECRET_KEY,
      caPath: rig.registry.caPath,
    }),
  );
}, 60_000);

afterAll(async () => {
  restoreEnv?.();
  await rig?.stop();
});

const answered = (): number => ecr.requests.filter((r) => r.refused === "").length;

describe("provider: aws", () => {
  it("lists the tags with the credentials GetAuthorizationToken minted, through the object's proxy", async () => {
    await rig.repository("app", { provider: "aws" });
    const obj = await rig.scan("app");
    expect(readyOf(obj)).toMatchObject({ status: "True", reason: "Succeeded" });
    expect(obj.status?.lastScanResult?.tagCount).toBe(3);
    expect(ecr.requests).toEqual([
      { target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", refused: "" },
    ]);
    // Both the token exchange and the registry went through spec.proxySecretRef.
    expect(rig.proxy.tunnels).toContain(new URL(ecr.url).host);
    expect(rig.proxy.tunnels).toContain(`${ECR_HOST}:443`);
  });

  it("keeps the credentials until they near expiry: a second scan makes no exchange", async () => {
    const before = answered();
    const obj = await rig.scan("app");
    expect(readyOf(obj).status).toBe("True");
    expect(answered()).toBe(before);
  });

  it("serves another repository on the same registry from the cache; its secretRef is not read", async () => {
    await rig.repository("short", {
      provider: "aws",
      image: `${ECR_HOST}/team/app`,
      secretRef: { name: "no-such-secret" }, // ignored for a cloud provider, as in Flux
    });
    // Same registry: the cached token of the first test is still served.
    const before = answered();
    expect(readyOf(await rig.scan("short")).status).toBe("True");
    expect(answered()).toBe(before);
  });

  it("refreshes an expiring token on the next scan", async () => {
    // A token at its end is used for the scan at hand but not kept.
    ecr.lifetimeSeconds = 0;
    await rig.repository("expiring", { provider: "aws", image: `${EXPIRING_HOST}/team/app` });
    const before = answered();
    expect(readyOf(await rig.scan("expiring")).status).toBe("True");
    expect(readyOf(await rig.scan("expiring")).status).toBe("True");
    expect(answered()).toBe(before + 2);
    ecr.lifetimeSeconds = 12 * 3600;
    await rig.scan("expiring");
    await rig.scan("expiring");
    expect(answered()).toBe(before + 3);
  });

  it("names spec.provider and spec.image when the image is not on ECR", async () => {
    const before = ecr.requests.length;
    await rig.repository("elsewhere", { provider: "aws", image: "ghcr.io/team/app" });
    const obj = await rig.scan("elsewhere");
    expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(obj).message).toBe(
      "spec.provider 'aws' needs spec.image on an Amazon ECR registry (<account>.dkr.ecr.<region>.amazonaws.com, .amazonaws.com.cn, .amazonaws.eu, a -fips host or public.ecr.aws); spec.image 'ghcr.io/team/app' is on 'ghcr.io'",
    );
    expect(ecr.requests.length).toBe(before);
  });
});

// Each refusal on a host of its own, so no cached credential answers for it.
const FRESH_HOSTS: Record<string, string> = {
  revoked: REVOKED_HOST,
  denied: "333333333333.dkr.ecr.us-east-1.amazonaws.com",
  "wrong-key": "555555555555.dkr.ecr.us-east-1.amazonaws.com",
  stalled: "444444444444.dkr.ecr.us-east-1.amazonaws.com",
};

describe("provider: aws, refused", () => {
  ecrRefusalTests(() => ({
    rig,
    ecr,
    api: "ECR",
    iam: "ecr",
    password: PASSWORD,
    secretKey: SECRET_KEY,
    async fresh(name, spec) {
      const host = FRESH_HOSTS[name] ?? `${name}.invalid`;
      await rig.repository(name, { provider: "aws", image: `${host}/team/app`, ...spec });
      return host;
    },
  }));
});

describe("provider: aws with IRSA (web identity, what Flux uses on EKS)", () => {
  it("assumes the role at STS with the projected token, signs GetAuthorizationToken with the session, and scans", async () => {
    const pki = rig.registry.pki;
    if (!pki) throw new Error("tls registry without pki");
    const webIdentityToken = `eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.${Math.random().toString(36).slice(2)}`;
    const roleArn = "arn:aws:iam::123456789012:role/ecr-reader";
    const sts = await startStsServer(rig.servers, { pki, roleArn, webIdentityToken, ecr });
    const tokenFile = join(mkdtempSync(join(tmpdir(), "imagectl-irsa-")), "token");
    writeFileSync(tokenFile, webIdentityToken);
    const restore = setEnv({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    try {
      await rig.repository("irsa", { provider: "aws", image: `${IRSA_HOST}/team/app` });
      const before = answered();
      const obj = await rig.scan("irsa");
      expect(readyOf(obj), readyOf(obj).message).toMatchObject({ status: "True", reason: "Succeeded" });
      expect(sts.calls).toEqual([{ roleArn, refused: "" }]);
      expect(answered()).toBe(before + 1);
      // Signed with the temporary keys STS handed out, session token included.
      expect(ecr.requests.at(-1)).toEqual({
        target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
        refused: "",
      });
      // STS was reached with the ECR client's handler, hence through spec.proxySecretRef.
      expect(rig.proxy.tunnels).toContain(new URL(sts.url).host);
      expect(await rig.visibleText("irsa")).not.toContain(webIdentityToken);
    } finally {
      restore();
    }
  });
});
