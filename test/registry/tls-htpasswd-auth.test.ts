import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fetchDigest,
  listTags,
  parseImageReference,
  RegistryError,
  type ScanOptions,
} from "../../src/registry/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

let reg: TestRegistry;
let mtls: TestRegistry;
let dir: string;
let env: NodeJS.ProcessEnv;
const messages: string[] = [];
const fast = { retry: { retries: 0 } };

async function expectFailure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  messages.push((err as Error).message, String((err as Error).stack));
  return err as RegistryError;
}

beforeAll(async () => {
  [reg, mtls] = await Promise.all([
    startRegistry({ mode: "tls-htpasswd" }),
    startRegistry({ mode: "tls-htpasswd", clientCertificates: true }),
  ]);
  await Promise.all([reg.pushTags("secure/app", ["1.0.0", "1.1.0"]), mtls.pushTags("secure/app", ["2.0.0"])]);
  dir = mkdtempSync(join(tmpdir(), "imagectl-tls-auth-"));
  mkdirSync(join(dir, "bin"));
  env = { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}` };
});

afterAll(async () => {
  await Promise.all([reg?.stop(), mtls?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function dockerConfig(name: string, config: unknown): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "config.json"), JSON.stringify(config));
  return d;
}

describe("HTTPS registry with a private CA and bcrypt htpasswd", () => {
  const base = (): ScanOptions => ({ ...fast, tls: { ca: reg.caPem }, dockerConfigDir: false, env });

  it("authenticates with credentials from a generated Docker config.json", async () => {
    const cfg = dockerConfig("plain-auths", {
      auths: {
        [`https://${reg.host}`]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString("base64") },
      },
    });
    const res = await listTags(parseImageReference(`${reg.host}/secure/app`), {
      ...base(),
      dockerConfigDir: cfg,
    });
    expect(res.tags.sort()).toEqual(["1.0.0", "1.1.0"]);
  });

  it("authenticates with credentials from a credential-helper script", async () => {
    const helper = join(dir, "bin", "docker-credential-testhelper");
    writeFileSync(
      helper,
      `#!/bin/sh\nread url\n[ "$url" = "${reg.host}" ] || { echo "credentials not found"; exit 1; }\n` +
        `printf '{"ServerURL":"%s","Username":"${reg.username}","Secret":"${reg.password}"}' "$url"\n`,
    );
    chmodSync(helper, 0o755);
    const cfg = dockerConfig("helper", { credHelpers: { [reg.host]: "testhelper" } });
    const res = await listTags(parseImageReference(`${reg.host}/secure/app`), {
      ...base(),
      dockerConfigDir: cfg,
    });
    expect(res.tags.sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(
      await fetchDigest(parseImageReference(`${reg.host}/secure/app`), "1.0.0", {
        ...base(),
        dockerConfigDir: cfg,
      }),
    ).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("authenticates with explicit credentials from a secretRef", async () => {
    const res = await listTags(parseImageReference(`${reg.host}/secure/app`), {
      ...base(),
      credentials: { username: reg.username, password: reg.password },
    });
    expect(res.tags).toHaveLength(2);
  });

  it("fails with kind auth when anonymous, naming the image", async () => {
    const err = await expectFailure(listTags(parseImageReference(`${reg.host}/secure/app`), base()));
    expect(err.kind).toBe("auth");
    expect(err.message).toContain(`${reg.host}/secure/app`);
    expect(err.message).toContain("requires a username and password");
  });

  it("fails with kind auth on a wrong password", async () => {
    const err = await expectFailure(
      listTags(parseImageReference(`${reg.host}/secure/app`), {
        ...base(),
        credentials: { username: reg.username, password: `${reg.password}-wrong` },
      }),
    );
    expect(err.kind).toBe("auth");
    expect(err.message).toContain("credentials were rejected");
  });

  it("does not trust the private CA without tls.ca", async () => {
    const err = await expectFailure(
      listTags(parseImageReference(`${reg.host}/secure/app`), {
        ...fast,
        dockerConfigDir: false,
        credentials: { username: reg.username, password: reg.password },
      }),
    );
    expect(err.kind).toBe("unreachable");
  });

  it("trusts the CA file named by NODE_EXTRA_CA_CERTS in the scan's environment", async () => {
    // bin/imagectl keeps Node from loading that file at start-up; the client adds it itself.
    const res = await listTags(parseImageReference(`${reg.host}/secure/app`), {
      ...fast,
      dockerConfigDir: false,
      env: { ...env, NODE_EXTRA_CA_CERTS: reg.caPath },
      credentials: { username: reg.username, password: reg.password },
    });
    expect(res.tags.sort()).toEqual(["1.0.0", "1.1.0"]);
  });

  it("names an unreadable NODE_EXTRA_CA_CERTS file in the untrusted-certificate error", async () => {
    const missing = join(dir, "no-such-ca.pem");
    const err = await expectFailure(
      listTags(parseImageReference(`${reg.host}/secure/app`), {
        ...fast,
        dockerConfigDir: false,
        env: { ...env, NODE_EXTRA_CA_CERTS: missing },
        credentials: { username: reg.username, password: reg.password },
      }),
    );
    expect(err.kind).toBe("unreachable");
    expect(err.message).toContain("not trusted");
    expect(err.message).toContain(`NODE_EXTRA_CA_CERTS file ${missing} could not be read (ENOENT)`);
  });

  it("presents a client certificate for mTLS and fails without it", async () => {
    const creds = { username: mtls.username, password: mtls.password };
    const pki = mtls.pki!;
    const ok = await listTags(parseImageReference(`${mtls.host}/secure/app`), {
      ...fast,
      dockerConfigDir: false,
      credentials: creds,
      tls: { ca: pki.caPem, cert: pki.clientCertPem, key: pki.clientKeyPem },
    });
    expect(ok.tags).toEqual(["2.0.0"]);
    const err = await expectFailure(
      listTags(parseImageReference(`${mtls.host}/secure/app`), {
        ...fast,
        dockerConfigDir: false,
        credentials: creds,
        tls: { ca: pki.caPem },
      }),
    );
    expect(err.kind).toBe("unreachable");
  });

  it("never puts the password or the auth value into any error message", () => {
    expect(messages.length).toBeGreaterThan(4);
    const secrets = [
      reg.password,
      mtls.password,
      Buffer.from(`${reg.username}:${reg.password}`).toString("base64"),
      Buffer.from(`${reg.username}:${reg.password}-wrong`).toString("base64"),
    ];
    for (const m of messages) for (const s of secrets) expect(m).not.toContain(s);
  });
});
