import { randomBytes } from "node:crypto";
import type { LoopbackServers } from "../loopback-servers.js";
import type { TestPki } from "../tls.js";
import type { EcrServer } from "./ecr-server.js";
import { listenTls, readBody } from "./tls-endpoint.js";

/**
 * A loopback AWS STS endpoint for AssumeRoleWithWebIdentity (IRSA, what Flux uses on EKS), as the
 * STS API reference documents it: the Query protocol (`POST /`, form `Action=
 * AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&RoleSessionName=…&WebIdentityToken=…`,
 * unsigned), answered with the documented XML (`AssumeRoleWithWebIdentityResult/Credentials`:
 * AccessKeyId, SecretAccessKey, SessionToken, Expiration). The temporary keys it hands out are
 * registered with the loopback ECR endpoint, which then checks signatures made with them.
 * Reached by the SDK through AWS_ENDPOINT_URL_STS.
 */
export interface StsServer {
  url: string;
  /** Each call: role and token asked with, and why refused ("" when answered). */
  calls: Array<{ roleArn: string | null; refused: string }>;
}

export async function startStsServer(
  servers: LoopbackServers,
  o: { pki: TestPki; roleArn: string; webIdentityToken: string; ecr: EcrServer },
): Promise<StsServer> {
  const state: StsServer = { url: "", calls: [] };
  const port = await listenTls(servers, o.pki, async (req, res) => {
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    const refuse = (code: string, why: string): void => {
      state.calls.push({ roleArn: form.get("RoleArn"), refused: why });
      res.writeHead(400, { "content-type": "text/xml" });
      res.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${why}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
      );
    };
    if (
      req.method !== "POST" ||
      !String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")
    )
      return refuse("InvalidAction", `${req.method} ${req.headers["content-type"]}`);
    if (form.get("Action") !== "AssumeRoleWithWebIdentity")
      return refuse("InvalidAction", `${form.get("Action")}`);
    if (form.get("Version") !== "2011-06-15") return refuse("InvalidParameterValue", "Version");
    if (form.get("RoleArn") !== o.roleArn)
      return refuse("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    if (!form.get("RoleSessionName")) return refuse("ValidationError", "RoleSessionName is required");
    if (form.get("WebIdentityToken") !== o.webIdentityToken)
      return refuse("InvalidIdentityToken", "token rejected");
    const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    const secret = randomBytes(20).toString("base64");
    const sessionToken = randomBytes(48).toString("base64");
    o.ecr.temporaryKeys.set(accessKeyId, { secret, sessionToken });
    state.calls.push({ roleArn: form.get("RoleArn"), refused: "" });
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>system:serviceaccount:flux-system:image-reflector-controller</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/ecr-reader/${form.get("RoleSessionName")}</Arn><AssumedRoleId>AROAEXAMPLE:${form.get("RoleSessionName")}</AssumedRoleId></AssumedRoleUser><Credentials><SessionToken>${sessionToken}</SessionToken><SecretAccessKey>${secret}</SecretAccessKey><Expiration>${expiration}</Expiration><AccessKeyId>${accessKeyId}</AccessKeyId></Credentials><Provider>oidc.eks.us-east-1.amazonaws.com</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
    );
  });
  state.url = `https://127.0.0.1:${port}`;
  return state;
}
