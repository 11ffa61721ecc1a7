/**
 * Who may see and do what on the dashboard. Read-only views are open on a loopback listener;
 * on any other listener every view needs credentials, and every action (reconcile, suspend,
 * resume, preview) needs them everywhere, plus a CSRF token and a same-origin request. The
 * credentials live in a secret in the store (`serve --dashboard-auth-secret NS/NAME`): `token`
 * (sent as a Bearer token, or as the password of HTTP Basic auth with any user name), or
 * `username` + `password` (HTTP Basic). They are read from the store, compared in constant time,
 * and never written anywhere.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { NamespacedName } from "../api/object-id.js";
import type { Store } from "../store/index.js";

export interface DashboardAuthOptions {
  /** The secret holding the credentials; without it nobody can sign in and actions are off. */
  secret?: NamespacedName;
  /** The listener is loopback-only: read-only views need no credentials. */
  loopback: boolean;
}

export type AuthVerdict =
  | { ok: true; signedIn: boolean }
  | { ok: false; status: 401 | 403; message: string; challenge: boolean };

/** How long a read secret is reused before it is read again (rotation takes effect this fast). */
const SECRET_TTL_MS = 2_000;

interface Credentials {
  token?: Buffer;
  username?: Buffer;
  password?: Buffer;
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
const same = (a: Buffer | undefined, b: string): boolean => !!a && timingSafeEqual(a, digest(b));

/**
 * Why a credentials secret's data cannot authenticate anyone, or undefined (checked once when
 * `serve` starts). Names keys, never values.
 */
export function credentialsProblem(data: Record<string, string> | undefined): string | undefined {
  if (!data) return "secret not found (create it with `imagectl create secret generic`)";
  if (data.token) return undefined;
  if (data.username && data.password) return undefined;
  return "the secret needs a 'token' key, or 'username' and 'password' keys";
}

/** `localhost`, `127.x.y.z`, `[::1]` (a Host header's host part). */
function loopbackName(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class DashboardAuth {
  /** One per process: a cross-site page cannot read it, so a form carrying it came from a page of ours. */
  readonly csrfToken = randomBytes(24).toString("base64url");
  private cached: { at: number; creds: Credentials | undefined } | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: DashboardAuthOptions,
  ) {}

  get actionsEnabled(): boolean {
    return this.opts.secret !== undefined;
  }

  private async credentials(): Promise<Credentials | undefined> {
    const ref = this.opts.secret;
    if (!ref) return undefined;
    const now = Date.now();
    if (this.cached && now - this.cached.at < SECRET_TTL_MS) return this.cached.creds;
    const s = await this.store.getSecret(ref.namespace, ref.name);
    const d = s?.data ?? {};
    const creds: Credentials | undefined = s
      ? {
          ...(d.token && { token: digest(d.token) }),
          ...(d.username && { username: digest(d.username) }),
          ...(d.password && { password: digest(d.password) }),
        }
      : undefined;
    this.cached = { at: now, creds };
    return creds;
  }

  /** Whether the request carries valid credentials. */
  async signedIn(headers: IncomingHttpHeaders): Promise<boolean> {
    const header = headers.authorization;
    if (!header) return false;
    const creds = await this.credentials();
    if (!creds) return false;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer?.[1]) return same(creds.token, bearer[1]);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!basic?.[1]) return false;
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (creds.token && same(creds.token, password)) return true;
    // Both compared whatever the first gives, so timing tells nothing about which was wrong.
    const u = same(creds.username, user);
    const p = same(creds.password, password);
    return u && p;
  }

  /**
   * A loopback listener answers only to loopback host names: a page on another site whose name
   * was re-pointed at 127.0.0.1 (DNS rebinding) must not read the views.
   */
  hostAllowed(headers: IncomingHttpHeaders): boolean {
    if (!this.opts.loopback) return true;
    const host = headers.host ?? "";
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
    return loopbackName(name);
  }

  /** For a read-only view. */
  async forView(headers: IncomingHttpHeaders): Promise<AuthVerdict> {
    if (!this.hostAllowed(headers))
      return { ok: false, status: 403, message: "forbidden: unexpected Host header\n", challenge: false };
    const signedIn = await this.signedIn(headers);
    if (this.opts.loopback || signedIn) return { ok: true, signedIn };
    if (!this.actionsEnabled)
      return {
        ok: false,
        status: 403,
        message:
          "the dashboard is off: the listener is not loopback and serve was started without --dashboard-auth-secret\n",
        challenge: false,
      };
    return { ok: false, status: 401, message: "authentication required\n", challenge: true };
  }

  /** For an action: credentials, a same-origin request, and the CSRF token of our forms. */
  async forAction(headers: IncomingHttpHeaders, csrf: unknown): Promise<AuthVerdict> {
    const view = await this.forView(headers);
    if (!view.ok && view.status === 403) return view;
    if (!this.actionsEnabled)
      return {
        ok: false,
        status: 403,
        message: "actions are off: start serve with --dashboard-auth-secret NAMESPACE/NAME to allow them\n",
        challenge: false,
      };
    if (!(await this.signedIn(headers)))
      return { ok: false, status: 401, message: "authentication required: sign in first\n", challenge: true };
    if (!this.sameOrigin(headers))
      return { ok: false, status: 403, message: "forbidden: cross-site request\n", challenge: false };
    const token = typeof csrf === "string" ? csrf : "";
    if (
      token.length !== this.csrfToken.length ||
      !timingSafeEqual(Buffer.from(token), Buffer.from(this.csrfToken))
    )
      return {
        ok: false,
        status: 403,
        message: "forbidden: missing or stale form token, reload the page\n",
        challenge: false,
      };
    return { ok: true, signedIn: true };
  }

  /** Browsers say where a request comes from; one that says another site is refused. */
  private sameOrigin(headers: IncomingHttpHeaders): boolean {
    const site = headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") return false;
    const origin = headers.origin;
    if (origin === undefined) return true;
    try {
      // Both through URL, which drops a default port from either side alike.
      return new URL(origin).host === new URL(`http://${headers.host ?? ""}`).host;
    } catch {
      return false;
    }
  }
}
