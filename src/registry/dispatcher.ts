import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { SecureContext } from "node:tls";
import { fixedProxySettings, type ProxySettings, proxyFor, proxySettings } from "./proxy-env.js";
import { createTunnelingAgent, proxyAuthorization } from "./proxy-tunnel.js";
import { socketHost } from "./socket-host.js";
import { httpsModule, tlsModule } from "./tls-modules.js";

/** TLS material from a `certSecretRef`: extra CA (added to the system roots), client cert/key for mTLS. */
export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface DispatcherOptions {
  tls?: TlsOptions;
  /** Environment for `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, `NODE_EXTRA_CA_CERTS`. */
  env?: NodeJS.ProcessEnv;
  /** One proxy for every request, in place of the environment's (an object's `proxySecretRef`). */
  proxy?: URL;
}

/** Where and how to send one request: directly, through a CONNECT tunnel, or to an HTTP proxy. */
export interface Route {
  secure: boolean;
  agent: HttpAgent;
  host: string;
  port: number;
  /** Origin-form path, or the absolute URI when an HTTP proxy forwards the request. */
  path: string;
  /** Headers the route adds (`Host` and `Proxy-Authorization` for an HTTP proxy). */
  headers: Record<string, string>;
}

/** Picks the connection for each URL under one TLS + proxy configuration. */
export interface Dispatcher {
  route(url: URL): Route;
  /** Does a request to this URL go through a proxy (HTTPS_PROXY / HTTP_PROXY, not NO_PROXY)? */
  proxied(url: URL): boolean;
  /** Why a certificate the user meant to trust may be missing (an unreadable NODE_EXTRA_CA_CERTS). */
  trustProblem(): string | undefined;
}

// Free keep-alive sockets are closed after this long, as undici's keepAliveTimeout did.
const IDLE_SOCKET_MS = 30_000;
const dispatchers = new Map<string, Dispatcher>();

interface ExtraCa {
  pems: string[];
  /** Set when the file could not be read: Node only warns then, and so do we, in the TLS error. */
  problem?: string;
}

function extraCaFromEnv(env: NodeJS.ProcessEnv): ExtraCa {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return { pems: [] };
  try {
    return { pems: [readFileSync(file, "utf8")] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    return { pems: [], problem: `NODE_EXTRA_CA_CERTS file ${file} could not be read (${code})` };
  }
}

/**
 * Built once per configuration: parsing hundreds of roots per connection would cost more than
 * the request. Passing `ca` replaces Node's trust store, so the bundled roots are added back.
 * `NODE_EXTRA_CA_CERTS` is always added here, never left to Node: the launcher (bin/imagectl)
 * keeps Node from loading it at start-up, so Node's own store may not hold it.
 */
function secureContextFor(tls: TlsOptions, extra: string[]): SecureContext | undefined {
  // Nothing custom: leave Node's defaults exactly as they are.
  if (!tls.ca && !tls.cert && !tls.key && extra.length === 0) return undefined;
  const { createSecureContext, rootCertificates } = tlsModule();
  const ca = [...extra, ...(tls.ca ? [tls.ca] : [])];
  return createSecureContext({
    ...(ca.length > 0 ? { ca: [...rootCertificates, ...ca] } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
  });
}

function createDispatcher(tls: TlsOptions, env: NodeJS.ProcessEnv, proxies: ProxySettings): Dispatcher {
  const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  const http = new HttpAgent(agentOptions);
  let extraCa: ExtraCa | undefined;
  let secureContext: SecureContext | undefined;
  const context = (): { secureContext?: SecureContext } => {
    if (!extraCa) {
      extraCa = extraCaFromEnv(env);
      secureContext = secureContextFor(tls, extraCa.pems);
    }
    return secureContext ? { secureContext } : {};
  };
  let https: HttpsAgent | undefined;
  const tunnels = new Map<string, HttpsAgent>();

  return {
    proxied: (url) => proxyFor(url, proxies) !== undefined,
    trustProblem: () => extraCa?.problem,
    route(url: URL): Route {
      const secure = url.protocol === "https:";
      const host = socketHost(url.hostname);
      const port = Number(url.port) || (secure ? 443 : 80);
      const path = `${url.pathname}${url.search}`;
      const proxy = proxyFor(url, proxies);
      if (secure) {
        if (!proxy) {
          https ??= new (httpsModule().Agent)({ ...agentOptions, ...context() });
          return { secure, agent: https, host, port, path, headers: {} };
        }
        let tunnel = tunnels.get(proxy.href);
        if (!tunnel) {
          tunnel = createTunnelingAgent(proxy, { ...agentOptions, ...context() });
          tunnels.set(proxy.href, tunnel);
        }
        return { secure, agent: tunnel, host, port, path, headers: {} };
      }
      if (!proxy) return { secure, agent: http, host, port, path, headers: {} };
      // Plain HTTP through a proxy: send the absolute URI to the proxy (RFC 9112 §3.2.2).
      const headers: Record<string, string> = { host: url.host };
      const auth = proxyAuthorization(proxy);
      if (auth) headers["proxy-authorization"] = auth;
      const viaTls = proxy.protocol === "https:";
      if (viaTls) https ??= new (httpsModule().Agent)({ ...agentOptions, ...context() });
      return {
        secure: viaTls,
        agent: viaTls ? (https as HttpsAgent) : http,
        host: socketHost(proxy.hostname),
        port: Number(proxy.port) || (viaTls ? 443 : 80),
        path: `${url.origin}${path}`,
        headers,
      };
    },
  };
}

/**
 * One dispatcher per TLS + proxy configuration, kept for the process lifetime so keep-alive
 * connections are reused across scans. Throws ProxyConfigError for an unusable proxy variable.
 */
export function dispatcherFor(opts: DispatcherOptions = {}): Dispatcher {
  const env = opts.env ?? process.env;
  const tls = opts.tls ?? {};
  const proxyVars = [
    opts.proxy?.href,
    env.https_proxy,
    env.HTTPS_PROXY,
    env.http_proxy,
    env.HTTP_PROXY,
    env.no_proxy,
    env.NO_PROXY,
  ];
  // A plain string key: hashing would pull in node:crypto at start-up for no gain, and the
  // material is already held in `opts` for the process lifetime.
  const key = JSON.stringify([
    tls.ca ?? "",
    tls.cert ?? "",
    tls.key ?? "",
    env.NODE_EXTRA_CA_CERTS ?? "",
    ...proxyVars,
  ]);
  const cached = dispatchers.get(key);
  if (cached) return cached;
  const proxies = opts.proxy ? fixedProxySettings(opts.proxy) : proxySettings(env);
  const dispatcher = createDispatcher(tls, env, proxies);
  dispatchers.set(key, dispatcher);
  return dispatcher;
}
