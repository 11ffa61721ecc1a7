import { createPublicKey, verify } from "node:crypto";
import type { LoopbackServers } from "../loopback-servers.js";
import type { TestPki } from "../tls.js";
import { listenTls, readBody } from "./tls-endpoint.js";

/**
 * A loopback stand-in for Google's OAuth 2.0 token endpoint as "Using OAuth 2.0 for Server to
 * Server Applications" documents it: `POST /token` with form `grant_type=urn:ietf:params:oauth:
 * grant-type:jwt-bearer&assertion=<JWT>`, the JWT signed RS256 by the service account's key,
 * with `iss` = its client_email, `aud` = https://oauth2.googleapis.com/token, `scope`
 * space-separated, `exp` at most an hour after `iat`; answering `{access_token, expires_in,
 * token_type}`. google-auth-library sends it to the fixed host oauth2.googleapis.com, which the
 * test's proxy routes here; its certificate names that host.
 */
export interface GoogleTokenServer {
  /** `127.0.0.1:PORT`, where the proxy routes `oauth2.googleapis.com:443`. */
  target: string;
  /** Each grant: the scope asked for and why it was refused ("" when answered). */
  grants: Array<{ scope: string | undefined; refused: string }>;
}

export async function startGoogleTokenServer(
  servers: LoopbackServers,
  o: { pki: TestPki; clientEmail: string; publicKeyPem: string; accessToken: string },
): Promise<GoogleTokenServer> {
  const state: GoogleTokenServer = { target: "", grants: [] };
  const key = createPublicKey(o.publicKeyPem);
  const port = await listenTls(servers, o.pki, async (req, res) => {
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    let scope: string | undefined;
    const refuse = (why: string): void => {
      state.grants.push({ scope, refused: why });
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "invalid_grant", error_description: why }));
    };
    if (req.method !== "POST" || req.url !== "/token") return refuse(`${req.method} ${req.url}`);
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return refuse("grant_type");
    const [head, payload, sig] = (form.get("assertion") ?? "").split(".");
    if (!head || !payload || !sig) return refuse("assertion is not a JWT");
    const header = JSON.parse(Buffer.from(head, "base64url").toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    scope = typeof claims.scope === "string" ? claims.scope : undefined;
    if (header.alg !== "RS256") return refuse(`alg ${header.alg}`);
    if (!verify("sha256", Buffer.from(`${head}.${payload}`), key, Buffer.from(sig, "base64url")))
      return refuse("Invalid JWT Signature.");
    if (claims.iss !== o.clientEmail) return refuse(`iss ${String(claims.iss)}`);
    if (claims.aud !== "https://oauth2.googleapis.com/token") return refuse(`aud ${String(claims.aud)}`);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(exp > iat && exp - iat <= 3600)) return refuse("exp must be within an hour of iat");
    state.grants.push({ scope, refused: "" });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ access_token: o.accessToken, expires_in: 3599, token_type: "Bearer" }));
  });
  state.target = `127.0.0.1:${port}`;
  return state;
}
