import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { type Dispatcher, EnvHttpProxyAgent, interceptors } from "undici";

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
}

const dispatchers = new Map<string, Dispatcher>();

function extraCaFromEnv(env: NodeJS.ProcessEnv): string[] {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, "utf8")];
  } catch {
    return []; // Node itself only warns about an unreadable file; do the same (silently).
  }
}

/**
 * One dispatcher per TLS + proxy configuration, kept for the process lifetime so keep-alive
 * connections are reused across scans. Passing `ca` replaces Node's default trust store, so the
 * bundled roots and `NODE_EXTRA_CA_CERTS` are added back explicitly.
 */
export function dispatcherFor(opts: DispatcherOptions = {}): Dispatcher {
  const env = opts.env ?? process.env;
  const httpsProxy = env.https_proxy ?? env.HTTPS_PROXY;
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY;
  const noProxy = env.no_proxy ?? env.NO_PROXY;
  const tls = opts.tls ?? {};
  const key = createHash("sha256")
    .update(JSON.stringify([tls.ca ?? "", tls.cert ?? "", tls.key ?? "", httpsProxy, httpProxy, noProxy]))
    .update(env.NODE_EXTRA_CA_CERTS ?? "")
    .digest("hex");
  const cached = dispatchers.get(key);
  if (cached) return cached;

  const connect: Record<string, unknown> = {};
  if (tls.ca) connect.ca = [...rootCertificates, ...extraCaFromEnv(env), tls.ca];
  if (tls.cert) connect.cert = tls.cert;
  if (tls.key) connect.key = tls.key;
  const agent = new EnvHttpProxyAgent({
    httpProxy: httpProxy ?? "",
    httpsProxy: httpsProxy ?? "",
    noProxy: noProxy ?? "",
    connect,
    requestTls: connect,
    keepAliveTimeout: 30_000,
  });
  // Redirects are followed (a few registries answer tags/list via a CDN); undici drops
  // Authorization on cross-origin hops.
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  dispatchers.set(key, dispatcher);
  return dispatcher;
}
