import type { TlsOptions } from "../dispatcher.js";

/** What one credential exchange may use; built by `cloudCredentials` (index.ts) for each mint. */
export interface MintContext {
  /** Aborts when the repository's `spec.timeout` (which covers the exchange, as in Flux) runs out. */
  signal: AbortSignal;
  /** From `spec.proxySecretRef`: the exchanges go through it too, as Flux sends them. */
  proxy?: URL;
  /** From `spec.certSecretRef`: trusted for the registry's own host (ACR's /oauth2/exchange). */
  tls?: TlsOptions;
  /** Proxy variables and `NODE_EXTRA_CA_CERTS`; the SDKs themselves read `process.env`. */
  env: NodeJS.ProcessEnv;
}
