// provider: aws for public.ecr.aws, end to end: @aws-sdk/client-ecr-public's
// GetAuthorizationToken against a loopback ECR Public endpoint that checks JSON 1.1, the
// SpencerFrontendService target and the SigV4 signature for service ecr-public in us-east-1
// (test/support/cloud/ecr-server.ts), then the real docker-registry answering as public.ecr.aws
// through the object's proxy, accepting exactly AWS:<password>.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetCloudCredentials } from "../../../src/registry/cloud/index.js";
import { type EcrServer, startEcrServer } from "../../support/cloud/ecr-server.js";
import { awsKeysEnv, type CloudRig, readyOf, setEnv, startCloudRig } from "../../support/cloud/harness.js";
import { ecrRefusalTests } from "./ecr-refusals.js";

const HOST = "public.ecr.aws";
const TARGET = "SpencerFrontendService.GetAuthorizationToken";
const PASSWORD = `pub-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const SECRET_KEY = `secret/${Math.random().toString(36).slice(2)}`;

let rig: CloudRig;
let ecrPublic: EcrServer;
let restoreEnv: () => void;

beforeAll(async () => {
  rig = await startCloudRig({ registryHost: HOST, username: "AWS", password: PASSWORD });
  await rig.registry.pushTags("team/app", ["1.0.0", "1.1.0"]);
  await rig.registry.pushTags("other/tool", ["0.1.0"]);
  const pki = rig.registry.pki;
  if (!pki) throw new Error("tls registry without pki");
  ecrPublic = await startEcrServer(rig.servers, {
    pki,
    api: "ecr-public",
    region: "us-east-1",
    accessKeyId: "AKIDPUBLIC",
    secretAccessKey: SECRET_KEY,
    password: PASSWORD,
  });
  restoreEnv = setEnv(
    awsKeysEnv({
      // The SDK's documented override for service id "ECR PUBLIC"; AWS_ENDPOINT_URL_ECR points
      // nowhere, so a call to the private ECR API would fail the scan. AWS_REGION is not
      // us-east-1: ECR Public must be asked there whatever it says.
      endpoints: { AWS_ENDPOINT_URL_ECR_PUBLIC: ecrPublic.url, AWS_ENDPOINT_URL_ECR: "https://127.0.0.1:9" },
      accessKeyId: "AKIDPUBLIC",
      secretAccessKey: SECRET_KEY,
      caPath: rig.registry.caPath,
    }),
  );
}, 60_000);

afterAll(async () => {
  restoreEnv?.();
  await rig?.stop();
});

const answered = (): number => ecrPublic.requests.filter((r) => r.refused === "").length;

describe("provider: aws on public.ecr.aws (ECR Public)", () => {
  it("lists the tags with the credentials ECR Public minted in us-east-1, through the object's proxy", async () => {
    await rig.repository("app", { provider: "aws" });
    const obj = await rig.scan("app");
    expect(readyOf(obj), readyOf(obj).message).toMatchObject({ status: "True", reason: "Succeeded" });
    expect(obj.status?.lastScanResult?.tagCount).toBe(2);
    expect(ecrPublic.requests).toEqual([{ target: TARGET, refused: "" }]);
    expect(rig.proxy.tunnels).toContain(new URL(ecrPublic.url).host);
    expect(rig.proxy.tunnels).toContain(`${HOST}:443`);
  });

  it("keeps one credential for the registry: a second scan and another repository make no exchange", async () => {
    await rig.repository("tool", { provider: "aws", image: `${HOST}/other/tool` });
    const before = answered();
    expect(readyOf(await rig.scan("app")).status).toBe("True");
    const tool = await rig.scan("tool");
    expect(readyOf(tool).status).toBe("True");
    expect(tool.status?.lastScanResult?.tagCount).toBe(1);
    expect(answered()).toBe(before);
  });
});

describe("provider: aws on public.ecr.aws, refused", () => {
  ecrRefusalTests(() => ({
    rig,
    ecr: ecrPublic,
    api: "ECR Public",
    iam: "ecr-public",
    password: PASSWORD,
    secretKey: SECRET_KEY,
    // One host only: each case starts from an empty cache instead.
    async fresh(name, spec) {
      forgetCloudCredentials("aws", HOST);
      await rig.repository(name, { provider: "aws", ...spec });
      return HOST;
    },
  }));
});
