import { createRequire } from "node:module";

// Why loaded on demand: node:https and node:tls take ~20 ms to load, and a scan of a
// plain-HTTP registry (loopback, `insecure`) never opens a TLS connection. `require` keeps
// the callers synchronous (an HTTP request is set up synchronously); Node caches the module.
const require = createRequire(import.meta.url);

export const httpsModule = (): typeof import("node:https") => require("node:https");
export const tlsModule = (): typeof import("node:tls") => require("node:tls");
