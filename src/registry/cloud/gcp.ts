/**
 * Google Container Registry and Artifact Registry: an OAuth2 access token from Application
 * Default Credentials through google-auth-library (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
 * application-default file, workload identity federation files, then the GCE/GKE metadata
 * server, whose address `GCE_METADATA_HOST` overrides), with Flux's scopes. The registry takes
 * it as the password of `oauth2accesstoken`. Loaded only when a repository says `provider: gcp`.
 */
import { GoogleAuth } from "google-auth-library";
import { dispatcherFor } from "../dispatcher.js";
import type { CloudCredentials } from "./cache.js";
import type { MintContext } from "./context.js";
import { withinSignal } from "./errors.js";

const SCOPES = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/userinfo.email",
];
// Google's tokens live an hour; an answer without an expiry is kept no longer than that.
const DEFAULT_LIFETIME_MS = 60 * 60_000;

export async function mintGoogleCredentials(ctx: MintContext): Promise<CloudCredentials> {
  // A new GoogleAuth per mint: its client would otherwise keep a token of its own beside
  // cache.ts and hide expiry from it.
  // Google's token endpoints (key files, federation) are HTTPS: they take the registry client's
  // agent, hence the same proxy and trust (NODE_EXTRA_CA_CERTS, which the launcher keeps from
  // Node's own store). The metadata server is link-local and never proxied (gcp-metadata keeps
  // its own transport).
  const dispatcher = dispatcherFor({ env: ctx.env, proxy: ctx.proxy });
  const auth = new GoogleAuth({
    scopes: SCOPES,
    clientOptions: { transporterOptions: { agent: (url: URL) => dispatcher.route(url).agent } },
  });
  return withinSignal(ctx.signal, "Google Application Default Credentials", async () => {
    const client = await auth.getClient();
    const { token } = await client.getAccessToken();
    if (!token) throw new Error("Application Default Credentials gave no access token");
    const expiry = client.credentials.expiry_date;
    return {
      username: "oauth2accesstoken",
      password: token,
      expiresAt: typeof expiry === "number" ? expiry : Date.now() + DEFAULT_LIFETIME_MS,
    };
  });
}
