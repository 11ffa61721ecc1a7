import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** PEM files of a throwaway CA, a server cert for 127.0.0.1/::1/localhost and a client cert (mTLS). */
export interface TestPki {
  dir: string;
  caPem: string;
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPem: string;
  clientKeyPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Generates the PKI with Debian's openssl into `dir` (created if missing). Takes ~100 ms.
 * `dnsNames` are added to the server certificate, so a loopback server can stand in for a named
 * host (a cloud registry reached through a test proxy).
 */
export function generateTestPki(dir: string, opts: { dnsNames?: readonly string[] } = {}): TestPki {
  mkdirSync(dir, { recursive: true });
  const key = (name: string): void =>
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name], dir);
  key("ca.key");
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-days",
      "2",
      "-subj",
      "/CN=imagectl test CA",
      "-out",
      "ca.pem",
    ],
    dir,
  );
  const issue = (name: string, subject: string, ext: string): void => {
    key(`${name}.key`);
    openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
        "-out",
        `${name}.pem`,
      ],
      dir,
    );
  };
  issue(
    "server",
    "/CN=127.0.0.1",
    `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost${(opts.dnsNames ?? []).map((n) => `,DNS:${n}`).join("")}\nextendedKeyUsage=serverAuth\n`,
  );
  issue("client", "/CN=imagectl-test-client", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    caPath: join(dir, "ca.pem"),
    serverCertPath: join(dir, "server.pem"),
    serverKeyPath: join(dir, "server.key"),
    clientCertPem: readFileSync(join(dir, "client.pem"), "utf8"),
    clientKeyPem: readFileSync(join(dir, "client.key"), "utf8"),
  };
}
