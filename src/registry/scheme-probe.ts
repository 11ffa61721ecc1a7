import { errorDetail, isUntrustedCertificate } from "./network-errors.js";
import type { RegistryOperation } from "./operation.js";
import { socketHost } from "./socket-host.js";
import type { TlsProbeResult } from "./tls-probe.js";
import { sendProbe } from "./transport.js";

// Scheme found by probing a loopback/insecure registry, per host and dispatcher configuration.
const probedSchemes = new Map<string, "http" | "https">();
// Errors that mean "this port speaks plain HTTP, not TLS".
const NOT_TLS = /WRONG_VERSION_NUMBER|wrong version number|packet length too long|EPROTO/i;
// Nothing listens: the plain-HTTP attempt will report it (with retries).
const NO_SERVER = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH/;

function probeKey(op: RegistryOperation): string {
  return `${op.ref.apiHost}|${op.dispatcherKey}`;
}

/** The API base an earlier probe of this host found, if any. */
export function probedBase(op: RegistryOperation): string | undefined {
  const known = probedSchemes.get(probeKey(op));
  return known ? `${known}://${op.ref.apiHost}` : undefined;
}

/**
 * The TLS probe of a registry reached directly (see RegistrySession.sendFirst): a hand-written
 * ClientHello (tls-probe.ts, loaded on first use), so node:tls is never loaded for a plain port.
 */
export async function probeDirect(op: RegistryOperation, probeUrl: URL): Promise<string> {
  let answer: TlsProbeResult;
  try {
    const { probeTls } = await import("./tls-probe.js");
    answer = await probeTls(
      socketHost(probeUrl.hostname),
      Number(probeUrl.port) || 443,
      op.signal,
      op.timeoutMs,
    );
  } catch (err) {
    throw op.abortError(err);
  }
  if (answer === "no-server") return `http://${op.ref.apiHost}`;
  const scheme = answer === "tls" ? "https" : "http";
  probedSchemes.set(probeKey(op), scheme);
  return `${scheme}://${op.ref.apiHost}`;
}

/** Through a proxy a handshake would be with the proxy: ask the registry itself over HTTPS. */
export async function askThroughProxy(op: RegistryOperation, probeUrl: URL): Promise<string> {
  const key = probeKey(op);
  try {
    await sendProbe(op, probeUrl.href);
    probedSchemes.set(key, "https");
    return `https://${op.ref.apiHost}`;
  } catch (err) {
    if (op.signal.aborted) throw op.abortError(err);
    const detail = errorDetail(err);
    if (isUntrustedCertificate(detail)) throw op.untrusted(op.ref.apiHost, err);
    if (NOT_TLS.test(detail)) {
      probedSchemes.set(key, "http");
      return `http://${op.ref.apiHost}`;
    }
    if (NO_SERVER.test(detail)) return `http://${op.ref.apiHost}`;
    // TLS was spoken but the exchange failed (e.g. a client certificate is required):
    // stay on HTTPS so the real request reports the real problem.
    return `https://${op.ref.apiHost}`;
  }
}
