import type { LoopbackServers } from "../loopback-servers.js";
import type { TestPki } from "../tls.js";
import { listenTls, readBody } from "./tls-endpoint.js";

/**
 * A loopback Microsoft Entra ID authority for workload identity, as the Microsoft identity
 * platform documents it: OpenID discovery at `/{tenant}/v2.0/.well-known/openid-configuration`,
 * and the client-credentials grant with a federated assertion at `/{tenant}/oauth2/v2.0/token`
 * (form `grant_type=client_credentials`, `client_id`, `scope`, `client_assertion_type=
 * urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion` = the projected
 * service-account token), answering `{token_type, expires_in, access_token}`. Reached by
 * @azure/identity through AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_FEDERATED_TOKEN_FILE.
 */
export interface EntraAuthority {
  /** `https://127.0.0.1:PORT`, for AZURE_AUTHORITY_HOST. */
  url: string;
  /** Token requests: the scope asked for, and why refused ("" when answered). */
  tokens: Array<{ scope: string | null; refused: string }>;
}

export async function startEntraAuthority(
  servers: LoopbackServers,
  o: { pki: TestPki; tenant: string; clientId: string; assertion: string; accessToken: string },
): Promise<EntraAuthority> {
  const state: EntraAuthority = { url: "", tokens: [] };
  const port = await listenTls(servers, o.pki, async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", state.url);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    };
    const base = `${state.url}/${o.tenant}`;
    if (req.method === "GET" && url.pathname === `/${o.tenant}/v2.0/.well-known/openid-configuration`) {
      return json(200, {
        issuer: `${base}/v2.0`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
      });
    }
    if (req.method !== "POST" || url.pathname !== `/${o.tenant}/oauth2/v2.0/token`)
      return json(404, { error: "not_found" });
    const form = new URLSearchParams(body);
    const refuse = (why: string): void => {
      state.tokens.push({ scope: form.get("scope"), refused: why });
      json(400, { error: "invalid_request", error_description: `AADSTS700016: ${why}` });
    };
    if (form.get("grant_type") !== "client_credentials")
      return refuse(`grant_type ${form.get("grant_type")}`);
    if (form.get("client_id") !== o.clientId) return refuse(`client_id ${form.get("client_id")}`);
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return refuse("client_assertion_type");
    if (form.get("client_assertion") !== o.assertion) return refuse("client_assertion");
    state.tokens.push({ scope: form.get("scope"), refused: "" });
    json(200, {
      token_type: "Bearer",
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: o.accessToken,
    });
  });
  state.url = `https://127.0.0.1:${port}`;
  return state;
}
