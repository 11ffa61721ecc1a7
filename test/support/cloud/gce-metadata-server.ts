import { createServer } from "node:http";
import type { LoopbackServers } from "../loopback-servers.js";

/**
 * A loopback GCE metadata server, as Google documents it ("About VM metadata", "Authenticate
 * using the metadata server"): every request must carry `Metadata-Flavor: Google` (else 403),
 * answers carry the same header, `/computeMetadata/v1/instance/service-accounts/default/token`
 * answers `{access_token, expires_in, token_type: "Bearer"}`, unknown paths 404. Reached through
 * GCE_METADATA_HOST, the override google-auth-library (gcp-metadata) documents.
 */
export interface GceMetadataServer {
  /** `127.0.0.1:PORT` for GCE_METADATA_HOST. */
  host: string;
  /** Paths asked for (without the query), in order. */
  paths: string[];
  /** Token requests answered with a token. */
  tokens: number;
  /** Scopes of the last token request. */
  lastScopes: string | undefined;
  mode: "token" | "deny" | "stall";
  lifetimeSeconds: number;
}

const TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

export async function startGceMetadataServer(
  servers: LoopbackServers,
  accessToken: string,
): Promise<GceMetadataServer> {
  const state: GceMetadataServer = {
    host: "",
    paths: [],
    tokens: 0,
    lastScopes: undefined,
    mode: "token",
    lifetimeSeconds: 3599,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://metadata.google.internal");
    state.paths.push(url.pathname);
    const headers = { "metadata-flavor": "Google", "content-type": "application/json" };
    if (req.headers["metadata-flavor"] !== "Google" || req.headers["x-forwarded-for"]) {
      res.writeHead(403, headers).end("Missing required header: Metadata-Flavor");
      return;
    }
    if (url.pathname === "/computeMetadata/v1/instance" || url.pathname === "/computeMetadata/v1/instance/") {
      res.writeHead(200, { ...headers, "content-type": "application/text" }).end("attributes/\nhostname\n");
      return;
    }
    if (url.pathname !== TOKEN_PATH || req.method !== "GET") {
      res.writeHead(404, headers).end("Not Found");
      return;
    }
    state.lastScopes = url.searchParams.get("scopes") ?? undefined;
    if (state.mode === "stall") return;
    if (state.mode === "deny") {
      res
        .writeHead(404, headers)
        .end("Service account default not found (token ya29.must-not-leak-anywhere)");
      return;
    }
    state.tokens++;
    res.writeHead(200, headers).end(
      JSON.stringify({
        access_token: accessToken,
        expires_in: state.lifetimeSeconds,
        token_type: "Bearer",
      }),
    );
  });
  state.host = `127.0.0.1:${await servers.listen(server)}`;
  return state;
}
