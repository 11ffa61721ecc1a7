/** `--listen HOST:PORT` for `imagectl serve`: IPv4, `[IPv6]` or a name, and a port (0 = any free one). */

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = "127.0.0.1:9292";

export class ListenAddressError extends Error {
  override name = "ListenAddressError";
}

export function parseListenAddress(value: string, flag = "--listen"): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new ListenAddressError(
      `${flag}: expected HOST:PORT (e.g. 127.0.0.1:9292 or [::1]:9292), got '${value.slice(0, 100)}'`,
    );
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

/** Loopback listeners may serve read-only views without authentication (the dashboard issue's rule). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `http://127.0.0.1:9292`, with brackets around IPv6. */
export function baseUrl(addr: ListenAddress): string {
  return `http://${addr.host.includes(":") ? `[${addr.host}]` : addr.host}:${addr.port}`;
}
