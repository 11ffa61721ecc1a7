import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveCredentials } from "../../src/registry/credentials.js";
import { normaliseRegistryKey } from "../../src/registry/docker-config.js";
import { CredentialsError, parseDockerConfig, parseImageReference } from "../../src/registry/index.js";

let dir: string;
let env: NodeJS.ProcessEnv;
const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** A real executable credential helper on PATH, answering like docker-credential-* does. */
function writeHelper(name: string, script: string): void {
  const path = join(dir, "bin", `docker-credential-${name}`);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
}

function configDir(name: string, config: unknown): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "config.json"), JSON.stringify(config));
  return d;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-dockercfg-"));
  mkdirSync(join(dir, "bin"));
  env = { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}` };
  // Echoes the server URL it was asked about into the user name, so the test sees what docker would send.
  writeHelper(
    "echo",
    'read url; printf \'{"ServerURL":"%s","Username":"u-%s","Secret":"s3cret"}\' "$url" "$url"',
  );
  writeHelper(
    "token",
    'read url; printf \'{"ServerURL":"%s","Username":"<token>","Secret":"idtok"}\' "$url"',
  );
  writeHelper("none", "echo 'credentials not found in native keychain'; exit 1");
  writeHelper("broken", "echo 'password=hunter2 leaked?' >&2; exit 3");
  writeHelper("numeric", 'read url; printf \'{"ServerURL":"%s","Username":"u","Secret":12345}\' "$url"');
  writeHelper("chatty", "echo 'Username: u, password=hunter2'");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("Docker config key normalisation", () => {
  it.each([
    ["https://index.docker.io/v1/", "index.docker.io"],
    ["docker.io", "index.docker.io"],
    ["registry-1.docker.io", "index.docker.io"],
    ["https://ghcr.io", "ghcr.io"],
    ["http://127.0.0.1:5000/v2/", "127.0.0.1:5000"],
    ["Registry.Example.com:443", "registry.example.com:443"],
  ])("%s → %s", (key, host) => {
    expect(normaliseRegistryKey(key)).toBe(host);
  });
});

describe("credential resolution order", () => {
  const hub = parseImageReference("alpine");
  const local = parseImageReference("127.0.0.1:5000/app");

  it("reads auths entries with auth, username/password and identitytoken", async () => {
    const d = configDir("auths", {
      auths: {
        "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") },
        "127.0.0.1:5000": { username: "u", password: "p" },
        "https://ghcr.io/": { auth: b64("ghuser:"), identitytoken: "refresh-me" },
      },
    });
    expect(await resolveCredentials(hub, { dockerConfigDir: d, env })).toEqual({
      username: "hubuser",
      password: "hubpass",
    });
    expect(await resolveCredentials(local, { dockerConfigDir: d, env })).toEqual({
      username: "u",
      password: "p",
    });
    expect(await resolveCredentials(parseImageReference("ghcr.io/o/a"), { dockerConfigDir: d, env })).toEqual(
      {
        identityToken: "refresh-me",
        username: "ghuser",
      },
    );
    expect(
      await resolveCredentials(parseImageReference("quay.io/o/a"), { dockerConfigDir: d, env }),
    ).toBeUndefined();
  });

  it("prefers the object's secret, then falls through to the user's config", async () => {
    const d = configDir("fallthrough", {
      auths: { "127.0.0.1:5000": { username: "user", password: "fromfile" } },
    });
    const secret = { auths: { "127.0.0.1:5000": { auth: b64("sec:fromsecret") } } };
    expect(await resolveCredentials(local, { credentials: secret, dockerConfigDir: d, env })).toEqual({
      username: "sec",
      password: "fromsecret",
    });
    const otherSecret = { auths: { "ghcr.io": { auth: b64("x:y") } } };
    expect(await resolveCredentials(local, { credentials: otherSecret, dockerConfigDir: d, env })).toEqual({
      username: "user",
      password: "fromfile",
    });
    expect(await resolveCredentials(local, { dockerConfigDir: false, env })).toBeUndefined();
  });

  it("calls credHelpers per registry and credsStore otherwise, with Docker's server URLs", async () => {
    const d = configDir("helpers", { credHelpers: { "127.0.0.1:5000": "echo" }, credsStore: "echo" });
    expect(await resolveCredentials(local, { dockerConfigDir: d, env })).toEqual({
      username: "u-127.0.0.1:5000",
      password: "s3cret",
    });
    expect(await resolveCredentials(hub, { dockerConfigDir: d, env })).toEqual({
      username: "u-https://index.docker.io/v1/",
      password: "s3cret",
    });
    const t = configDir("token-helper", { credsStore: "token" });
    expect(await resolveCredentials(local, { dockerConfigDir: t, env })).toEqual({ identityToken: "idtok" });
  });

  it("treats 'credentials not found' as anonymous and other helper failures as errors without output", async () => {
    const none = configDir("none", { credsStore: "none" });
    expect(await resolveCredentials(local, { dockerConfigDir: none, env })).toBeUndefined();
    const broken = configDir("broken", { credHelpers: { "127.0.0.1:5000": "broken" } });
    const err = await resolveCredentials(local, { dockerConfigDir: broken, env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toContain("docker-credential-broken");
    expect((err as Error).message).toContain("exited with code 3");
    expect((err as Error).message).not.toContain("hunter2");
    const missing = configDir("missing", { credsStore: "does-not-exist" });
    const err2 = await resolveCredentials(local, { dockerConfigDir: missing, env }).catch((e: unknown) => e);
    expect((err2 as Error).message).toContain("docker-credential-does-not-exist");
  });

  it("ignores helpers named inside a secret (a secret must not pick a program to run)", async () => {
    const secret = { credHelpers: { "127.0.0.1:5000": "echo" } };
    expect(
      await resolveCredentials(local, { credentials: secret, dockerConfigDir: false, env }),
    ).toBeUndefined();
  });

  it("reports a malformed config.json without quoting it", async () => {
    const d = join(dir, "bad");
    mkdirSync(d);
    writeFileSync(join(d, "config.json"), '{"auths": {"x": {"auth": "c2VjcmV0OnZhbHVl"');
    const err = await resolveCredentials(local, { dockerConfigDir: d, env }).catch((e: unknown) => e);
    expect((err as Error).message).toContain("is not valid JSON");
    expect((err as Error).message).not.toContain("c2VjcmV0");
  });

  it.each([
    [[], "is not valid: expected object, got array"],
    [
      { auths: { "127.0.0.1:5000": { auth: 5 } } },
      'is not valid: field auths["127.0.0.1:5000"].auth: expected string, got number',
    ],
    [
      { auths: { "127.0.0.1:5000": "dXNlcjpwYXNz" } },
      'is not valid: field auths["127.0.0.1:5000"]: expected object, got string',
    ],
    [
      { credHelpers: { "127.0.0.1:5000": true } },
      'is not valid: field credHelpers["127.0.0.1:5000"]: expected string, got boolean',
    ],
    [{ credsStore: ["osxkeychain"] }, "is not valid: field credsStore: expected string, got array"],
  ])("names the field of a config.json with the wrong shape (%j)", async (config, problem) => {
    const d = configDir(`shape-${Math.random().toString(36).slice(2)}`, config);
    const err = await resolveCredentials(local, { dockerConfigDir: d, env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toBe(`127.0.0.1:5000/app: Docker config ${d}/config.json ${problem}`);
  });

  it("names the helper and the field when a helper answers garbage, without quoting it", async () => {
    const numeric = configDir("numeric", { credsStore: "numeric" });
    const err = await resolveCredentials(local, { dockerConfigDir: numeric, env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toBe(
      "127.0.0.1:5000/app: answer of credential helper docker-credential-numeric for 127.0.0.1:5000 is not valid: field Secret: expected string, got number",
    );
    const chatty = configDir("chatty", { credHelpers: { "127.0.0.1:5000": "chatty" } });
    const err2 = await resolveCredentials(local, { dockerConfigDir: chatty, env }).catch((e: unknown) => e);
    expect((err2 as Error).message).toBe(
      "127.0.0.1:5000/app: answer of credential helper docker-credential-chatty for 127.0.0.1:5000 is not valid JSON",
    );
  });

  it("checks a secret's .dockerconfigjson the same way, naming the secret", async () => {
    const source = "secret 'flux-system/regcred' .dockerconfigjson";
    expect(await parseDockerConfig('{"auths":{"ghcr.io":{"auth":"eDp5"}}}', source, "ghcr.io/o/a")).toEqual({
      auths: { "ghcr.io": { auth: "eDp5" } },
    });
    const err = await parseDockerConfig(
      '{"auths":{"ghcr.io":{"password":false}}}',
      source,
      "ghcr.io/o/a",
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toBe(
      `ghcr.io/o/a: Docker config ${source} is not valid: field auths["ghcr.io"].password: expected string, got boolean`,
    );
  });
});
