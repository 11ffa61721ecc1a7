import { isIP } from "node:net";
import { socketHost } from "./socket-host.js";

/** A proxy variable that is set but is not a usable `http://` / `https://` URL. */
export class ProxyConfigError extends Error {
  override name = "ProxyConfigError";
}

/** The proxy settings of one environment, parsed once. */
export interface ProxySettings {
  /** For `https://` targets: `HTTPS_PROXY`, else `HTTP_PROXY` (as undici's EnvHttpProxyAgent did). */
  https: URL | undefined;
  /** For `http://` targets: `HTTP_PROXY`. */
  http: URL | undefined;
  noProxy: NoProxyRule[];
  /** `NO_PROXY=*`: never use a proxy. */
  bypassAll: boolean;
}

interface NoProxyRule {
  host: string;
  /** 0 = any port. */
  port: number;
  /** A leading `.` or `*.`: subdomains only. */
  subdomainsOnly: boolean;
}

/**
 * A proxy URL from a variable or a secret's field; `name` says which (never the value: it may carry
 * credentials). Undefined when empty.
 */
export function parseProxyUrl(name: string, value: string | undefined): URL | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  // Like curl and Go, a bare `host:port` means an HTTP proxy.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProxyConfigError(`${name} is not a valid proxy URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProxyConfigError(`${name} uses unsupported proxy scheme ${url.protocol}`);
  }
  return url;
}

function parseNoProxyEntry(raw: string): NoProxyRule {
  let entry = raw.toLowerCase();
  let port = 0;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    entry = bracketed[1] ?? "";
    port = bracketed[2] ? Number(bracketed[2]) : 0;
  } else if (isIP(entry) !== 6) {
    // A bare IPv6 address has colons of its own and no port.
    const withPort = /^(.+):(\d+)$/.exec(entry);
    if (withPort) {
      entry = withPort[1] ?? "";
      port = Number(withPort[2]);
    }
  }
  const subdomainsOnly = entry.startsWith(".") || entry.startsWith("*.");
  return { host: entry.replace(/^\*?\./, ""), port, subdomainsOnly };
}

/** Reads `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (lower-case names first, as curl and Go do). */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  const httpRaw = env.http_proxy ?? env.HTTP_PROXY;
  const httpsRaw = env.https_proxy ?? env.HTTPS_PROXY;
  const noProxyRaw = (env.no_proxy ?? env.NO_PROXY ?? "").trim();
  const http = parseProxyUrl(env.http_proxy !== undefined ? "http_proxy" : "HTTP_PROXY", httpRaw);
  const https =
    parseProxyUrl(env.https_proxy !== undefined ? "https_proxy" : "HTTPS_PROXY", httpsRaw) ?? http;
  const entries = noProxyRaw.split(/[\s,]+/).filter(Boolean);
  return {
    http,
    https,
    noProxy: entries.filter((e) => e !== "*").map(parseNoProxyEntry),
    bypassAll: entries.includes("*"),
  };
}

/**
 * One proxy for every target (an object's `proxySecretRef`): as Go's `http.ProxyURL`, which Flux
 * uses, NO_PROXY does not apply.
 */
export function fixedProxySettings(proxy: URL): ProxySettings {
  if (proxy.protocol !== "http:" && proxy.protocol !== "https:") {
    throw new ProxyConfigError(`proxy uses unsupported scheme ${proxy.protocol}`);
  }
  return { http: proxy, https: proxy, noProxy: [], bypassAll: false };
}

/**
 * The proxy for `target`, or undefined to connect directly. NO_PROXY follows curl and Go:
 * `example.com` matches it and its subdomains, `.example.com` / `*.example.com` only
 * subdomains, `host:port` only that port, `*` everything.
 */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const proxy = target.protocol === "https:" ? settings.https : settings.http;
  if (!proxy || settings.bypassAll) return undefined;
  const host = socketHost(target.hostname.toLowerCase()).replace(/\.$/, "");
  const port = Number(target.port) || (target.protocol === "https:" ? 443 : 80);
  for (const rule of settings.noProxy) {
    if (rule.port !== 0 && rule.port !== port) continue;
    if (!rule.subdomainsOnly && host === rule.host) return undefined;
    if (host.endsWith(`.${rule.host}`)) return undefined;
  }
  return proxy;
}
