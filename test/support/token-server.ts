import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID, sign } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the token server answered, for assertions (never includes the secret). */
export interface TokenRequestRecord {
  method: string;
  grant: "basic" | "anonymous" | "password" | "refresh_token";
  user: string | undefined;
  scopes: string[];
  status: number;
}

export interface TokenServerOptions {
  /** PEM private key (RSA or P-256) whose certificate is in the registry's rootcertbundle. */
  keyPem: string;
  issuer: string;
  service: string;
  /** username → password; these users get every action they ask for. */
  users: Record<string, string>;
  /** identity (refresh) token → username, for the OAuth2 refresh_token grant. */
  identityTokens?: Record<string, string>;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
  /** Answer with `access_token` only (OAuth2 style) instead of `token`. */
  accessTokenOnly?: boolean;
}

export interface TokenServer {
  realm: string;
  records: TokenRequestRecord[];
  stop(): Promise<void>;
}

/** libtrust key ID that distribution matches the JWT `kid` against. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  const h = createHash("sha256").update(der).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let val = 0;
  let out = "";
  for (const b of h) {
    val = ((val << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(val >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return (out.match(/.{4}/g) ?? []).join(":");
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

/**
 * A Docker registry token issuer of the suite's own (distribution `auth: token`): GET with
 * Basic or anonymous, and the OAuth2 POST (password and refresh_token grants). Anonymous
 * callers get `pull` only; known users get what they ask; bad credentials get 401.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const privateKey = createPrivateKey(opts.keyPem);
  const kid = libtrustKeyId(createPublicKey(privateKey));
  const alg = privateKey.asymmetricKeyType === "ec" ? "ES256" : "RS256";
  const b64u = (x: unknown): string =>
    Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
  const expiresIn = opts.expiresIn ?? 300;
  const records: TokenRequestRecord[] = [];

  const jwt = (sub: string, access: unknown[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: opts.issuer,
      sub,
      aud: opts.service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64u({ typ: "JWT", alg, kid })}.${b64u(claims)}`;
    const sig = sign(
      "sha256",
      Buffer.from(input),
      alg === "ES256" ? { key: privateKey, dsaEncoding: "ieee-p1363" } : privateKey,
    );
    return `${input}.${sig.toString("base64url")}`;
  };

  const access = (scopes: string[], authed: boolean): unknown[] =>
    scopes.filter(Boolean).map((s) => {
      const first = s.indexOf(":");
      const last = s.lastIndexOf(":");
      let actions = s
        .slice(last + 1)
        .split(",")
        .filter(Boolean);
      if (!authed) actions = actions.filter((a) => a === "pull");
      return { type: s.slice(0, first), name: s.slice(first + 1, last), actions };
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://token");
      if (url.pathname !== "/token") {
        res.writeHead(404).end();
        return;
      }
      let user: string | undefined;
      let pass: string | undefined;
      let grant: TokenRequestRecord["grant"] = "anonymous";
      let scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" "));
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
      if (basic?.[1]) {
        const decoded = Buffer.from(basic[1], "base64").toString();
        const colon = decoded.indexOf(":");
        user = decoded.slice(0, colon);
        pass = decoded.slice(colon + 1);
        grant = "basic";
      }
      let ok = true;
      if (req.method === "POST") {
        const form = new URLSearchParams(await readBody(req));
        scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
        if (form.get("grant_type") === "refresh_token") {
          grant = "refresh_token";
          user = opts.identityTokens?.[form.get("refresh_token") ?? ""];
          ok = user !== undefined;
        } else if (form.get("grant_type") === "password") {
          grant = "password";
          user = form.get("username") ?? undefined;
          pass = form.get("password") ?? undefined;
        }
      }
      if (grant === "basic" || grant === "password") ok = user !== undefined && opts.users[user] === pass;
      const record = { method: req.method ?? "GET", grant, user, scopes, status: ok ? 200 : 401 };
      records.push(record);
      if (!ok) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"details":"invalid credentials"}');
        return;
      }
      const token = jwt(user ?? "", access(scopes, user !== undefined));
      const body: Record<string, unknown> = { access_token: token, expires_in: expiresIn };
      if (!opts.accessTokenOnly) body.token = token;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    records,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
