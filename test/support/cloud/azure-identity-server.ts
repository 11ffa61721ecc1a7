import { createServer as createHttpServer } from "node:http";
import { request } from "node:https";
import type { LoopbackServers } from "../loopback-servers.js";
import type { TestPki } from "../tls.js";
import { listenTls, readBody } from "./tls-endpoint.js";

/**
 * Azure's two token services, on loopback:
 *
 * - the App Service / Functions managed identity endpoint (Microsoft's "Managed identities for
 *   App Service", REST protocol 2019-08-01): `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&
 *   resource=…` with `X-IDENTITY-HEADER: $IDENTITY_HEADER`, answering `{access_token,
 *   expires_on, resource, token_type}`; reached by @azure/identity through those two variables;
 * - a front for ACR's host: `POST /oauth2/exchange` as Azure/acr docs/AAD-OAuth.md describes it
 *   (form `grant_type=access_token&service=<registry>&access_token=<Entra token>` →
 *   `{"refresh_token": …}`), every other path relayed to the real docker-registry behind it, as
 *   one ACR host serves both.
 */
export interface AzureIdentityServer {
  /** For IDENTITY_ENDPOINT. */
  endpoint: string;
  header: string;
  /** Resources asked for, in order. */
  resources: string[];
  mode: "token" | "stall";
}

export async function startAppServiceIdentity(
  servers: LoopbackServers,
  accessToken: string,
): Promise<AzureIdentityServer> {
  const state: AzureIdentityServer = {
    endpoint: "",
    header: `hdr-${Math.random().toString(36).slice(2)}`,
    resources: [],
    mode: "token",
  };
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "GET" || url.pathname !== "/msi/token") return json(404, { error: "not_found" });
    if (req.headers["x-identity-header"] !== state.header)
      return json(400, { error: "invalid X-IDENTITY-HEADER" });
    if (url.searchParams.get("api-version") !== "2019-08-01") return json(400, { error: "api-version" });
    const resource = url.searchParams.get("resource");
    if (!resource) return json(400, { error: "resource is required" });
    state.resources.push(resource);
    if (state.mode === "stall") return;
    json(200, {
      access_token: accessToken,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource,
      token_type: "Bearer",
      client_id: "11111111-2222-3333-4444-555555555555",
    });
  });
  state.endpoint = `http://127.0.0.1:${await servers.listen(server)}/msi/token`;
  return state;
}

export interface AcrFront {
  /** `127.0.0.1:PORT`, where the test proxy routes `<registry>:443`. */
  target: string;
  /** Exchanges asked for, with why each was refused ("" when answered). */
  exchanges: string[];
  mode: "token" | "deny";
  /** `exp` of the refresh tokens handed out, seconds from now. */
  lifetimeSeconds: number;
}

/** An unsigned JWT-shaped refresh token with `exp` (ACR signs its own; the client only reads exp). */
export function refreshTokenWithExp(exp: number): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ exp })}.acr`;
}

export async function startAcrFront(
  servers: LoopbackServers,
  o: { pki: TestPki; registry: string; registryPort: number; aadToken: string; refreshToken: () => string },
): Promise<AcrFront> {
  const state: AcrFront = { target: "", exchanges: [], mode: "token", lifetimeSeconds: 3 * 3600 };
  const port = await listenTls(servers, o.pki, async (req, res) => {
    if (req.url === "/oauth2/exchange") {
      const form = new URLSearchParams(await readBody(req));
      const refuse = (why: string, status = 400): void => {
        state.exchanges.push(why);
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: why }] }));
      };
      if (req.method !== "POST") return refuse(`method ${req.method}`, 405);
      if (req.headers["content-type"] !== "application/x-www-form-urlencoded")
        return refuse(`content-type ${req.headers["content-type"]}`);
      if (form.get("grant_type") !== "access_token") return refuse(`grant_type ${form.get("grant_type")}`);
      // ACR's refusal echoes the token it was given: it must still never reach a status or event.
      if (state.mode === "deny" || form.get("access_token") !== o.aadToken)
        return refuse(
          `the access token ${form.get("access_token")} is not valid for ${form.get("service")}`,
          401,
        );
      // The service is the registry's own name: the host this request was sent to.
      const host = (req.headers.host ?? "").replace(/:\d+$/, "");
      if (form.get("service") !== host) return refuse(`service ${form.get("service")} on ${host}`);
      state.exchanges.push("");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ refresh_token: o.refreshToken() }));
      return;
    }
    // Everything else is the registry's: relay it to docker-registry over TLS.
    const upstream = request(
      {
        host: "127.0.0.1",
        port: o.registryPort,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: o.registry },
        ca: o.pki.caPem,
        servername: o.registry,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  state.target = `127.0.0.1:${port}`;
  return state;
}
