/**
 * docker-registry's configuration file for each test mode, and the wait until it answers: the
 * parts of test/support/registry.ts that only describe and probe the process.
 */
import type { ChildProcess } from "node:child_process";
import { type Dispatcher, request } from "undici";
import type { TestPki } from "./tls.js";

export type RegistryMode = "plain" | "tls-htpasswd" | "token";

export function registryConfig(opts: {
  root: string;
  port: number;
  mode: RegistryMode;
  pki?: TestPki;
  htpasswd?: string;
  clientCertificates?: boolean;
  realm?: string;
  tokenCert?: string;
}): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${opts.root}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${opts.port}`,
    "  secret: test-only-secret",
  ];
  if (opts.mode === "tls-htpasswd" && opts.pki) {
    lines.push("  tls:", `    certificate: ${opts.pki.serverCertPath}`, `    key: ${opts.pki.serverKeyPath}`);
    if (opts.clientCertificates) lines.push("    clientcas:", `      - ${opts.pki.caPath}`);
    lines.push("auth:", "  htpasswd:", "    realm: test-realm", `    path: ${opts.htpasswd}`);
  }
  if (opts.mode === "token") {
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${opts.realm}`,
      "    service: test-registry",
      "    issuer: test-issuer",
      `    rootcertbundle: ${opts.tokenCert}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function waitReady(
  url: string,
  dispatcher: Dispatcher,
  proc: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited (${proc.exitCode}): ${log()}`);
    try {
      const res = await request(`${url}/v2/`, { dispatcher });
      await res.body.dump();
      if (res.statusCode === 200 || res.statusCode === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`docker-registry did not become ready at ${url}: ${log()}`);
}
