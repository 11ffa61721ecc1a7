import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LoopbackServers } from "../loopback-servers.js";
import type { TestPki } from "../tls.js";
import { listenTls, readBody } from "./tls-endpoint.js";

/**
 * A loopback Amazon ECR (or ECR Public) API endpoint for GetAuthorizationToken, checking each
 * request as the API references and AWS's Signature Version 4 documentation describe it: POST /,
 * JSON 1.1 (`Content-Type: application/x-amz-json-1.1`), the operation's `X-Amz-Target` (ECR:
 * `AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`; ECR Public:
 * `SpencerFrontendService.GetAuthorizationToken`), and an `Authorization: AWS4-HMAC-SHA256`
 * header for the service's signing name (`ecr`, `ecr-public`) in the expected region, whose
 * signature is recomputed here from the known secret key. Answers in the documented shape
 * (base64 "AWS:<password>" in `authorizationToken`, `expiresAt` in epoch seconds; ECR: a list
 * `authorizationData[]` with `proxyEndpoint`, ECR Public: one `authorizationData` object) or with
 * a common error (`__type` AccessDeniedException).
 */
export interface EcrServer {
  /** `https://127.0.0.1:PORT` for AWS_ENDPOINT_URL_ECR (or _ECR_PUBLIC). */
  url: string;
  /** Every request, in order, with why it was refused ("" when it was answered with a token). */
  requests: Array<{ target: string | undefined; refused: string }>;
  /** What the next requests get. */
  mode: "token" | "deny" | "stall";
  /** Lifetime of the tokens handed out, in seconds. */
  lifetimeSeconds: number;
  /** The password the next tokens carry (starts as the registry's). */
  password: string;
  /** Temporary keys (from STS) also accepted: access key id → secret and session token. */
  temporaryKeys: Map<string, { secret: string; sessionToken: string }>;
}

export interface EcrServerOptions {
  pki: TestPki;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The registry password the token carries (what htpasswd accepts for user AWS). */
  password: string;
  /** Which API this endpoint is (default "ecr"). */
  api?: "ecr" | "ecr-public";
}

// Per API: the JSON 1.1 target of GetAuthorizationToken (the service's Smithy name) and the
// SigV4 signing name, as each API reference and SDK model give them.
const API = {
  ecr: { target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", signingName: "ecr" },
  "ecr-public": { target: "SpencerFrontendService.GetAuthorizationToken", signingName: "ecr-public" },
} as const;

/** Token-shaped text the deny answer echoes; it must never reach a status, an event or a log. */
export const LEAK_CANARY = "IQoJb3JpZ2luX2VjEJr9Wk8sZXUtd2VzdC0xIkcwRQIhAKq7";

const hex = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();

/** Why the request's SigV4 signature is wrong, or "" when it checks out. */
function sigV4Problem(
  req: IncomingMessage,
  body: string,
  o: EcrServerOptions,
  temporary: EcrServer["temporaryKeys"],
): string {
  const auth = req.headers.authorization ?? "";
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return "Authorization is not AWS4-HMAC-SHA256";
  const [, akid, date, region, service, signed, signature] = m as unknown as string[];
  const session = temporary.get(akid ?? "");
  if (akid !== o.accessKeyId && !session) return `unknown access key ${akid}`;
  // Temporary credentials must come with their session token, itself signed.
  if (session && req.headers["x-amz-security-token"] !== session.sessionToken)
    return "session token missing or wrong";
  if (region !== o.region) return `signed for region ${region}, not ${o.region}`;
  const signingName = API[o.api ?? "ecr"].signingName;
  if (service !== signingName) return `signed for service ${service}, not ${signingName}`;
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  if (!amzDate.startsWith(date ?? "")) return "X-Amz-Date does not match the credential scope";
  const names = (signed ?? "").split(";");
  if (temporary.has(akid ?? "") && !names.includes("x-amz-security-token"))
    return "the session token must be signed";
  if (!names.includes("host") || !names.includes("x-amz-target"))
    return "host and x-amz-target must be signed";
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const url = new URL(req.url ?? "/", "http://x");
  const canonical = [
    "POST",
    url.pathname,
    url.searchParams.toString(),
    canonicalHeaders,
    signed,
    hex(body),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(canonical)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${session?.secret ?? o.secretAccessKey}`, date ?? ""), region ?? ""), service ?? ""),
    "aws4_request",
  );
  const expected = hmac(key, toSign).toString("hex");
  return timingSafeEqual(Buffer.from(expected), Buffer.from(signature ?? ""))
    ? ""
    : "signature does not match";
}

export async function startEcrServer(servers: LoopbackServers, o: EcrServerOptions): Promise<EcrServer> {
  const state: EcrServer = {
    url: "",
    requests: [],
    mode: "token",
    lifetimeSeconds: 12 * 3600,
    password: o.password,
    temporaryKeys: new Map(),
  };
  const send = (res: ServerResponse, status: number, body: unknown, type?: string): void => {
    res.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      ...(type ? { "x-amzn-errortype": type } : {}),
    });
    res.end(JSON.stringify(body));
  };
  const port = await listenTls(servers, o.pki, async (req, res) => {
    const body = await readBody(req);
    const target = req.headers["x-amz-target"] as string | undefined;
    const refuse = (why: string, status = 400, type = "ValidationException"): void => {
      state.requests.push({ target, refused: why });
      send(res, status, { __type: type, message: why }, type);
    };
    if (req.method !== "POST" || new URL(req.url ?? "/", "http://x").pathname !== "/")
      return refuse(`${req.method} ${req.url}: the JSON protocol posts to /`);
    if (target !== API[o.api ?? "ecr"].target)
      return refuse(`X-Amz-Target ${target}`, 400, "UnknownOperationException");
    if (req.headers["content-type"] !== "application/x-amz-json-1.1")
      return refuse(`Content-Type ${req.headers["content-type"]}`);
    const sig = sigV4Problem(req, body, o, state.temporaryKeys);
    if (sig) return refuse(sig, 403, "InvalidSignatureException");
    if (state.mode === "stall") {
      state.requests.push({ target, refused: "stalled" });
      return; // never answers; the client's deadline must end the call
    }
    if (state.mode === "deny") {
      // The real message names the principal; this one also echoes something token-shaped,
      // which must never reach a status, an event or a log.
      return refuse(
        `User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ${API[o.api ?? "ecr"].signingName}:GetAuthorizationToken (session ${LEAK_CANARY})`,
        400,
        "AccessDeniedException",
      );
    }
    state.requests.push({ target, refused: "" });
    const data = {
      authorizationToken: Buffer.from(`AWS:${state.password}`).toString("base64"),
      expiresAt: Date.now() / 1000 + state.lifetimeSeconds,
    };
    send(
      res,
      200,
      o.api === "ecr-public"
        ? { authorizationData: data }
        : {
            authorizationData: [
              { ...data, proxyEndpoint: "https://123456789012.dkr.ecr.us-east-1.amazonaws.com" },
            ],
          },
    );
  });
  state.url = `https://127.0.0.1:${port}`;
  return state;
}
