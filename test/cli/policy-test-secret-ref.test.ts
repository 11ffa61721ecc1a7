import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

describe("policy test --image --secret-ref against a registry that requires auth", () => {
  let registry: TestRegistry;
  let home: string;
  // an empty Docker config, so only the secret can authenticate
  const env = () => ({ ...process.env, DOCKER_CONFIG: join(home, "docker") });

  beforeAll(async () => {
    registry = await startRegistry({ mode: "token" });
    home = mkdtempSync(join(tmpdir(), "imagectl-pt-secret-"));
    await registry.pushTags("private/app", ["1.0.0", "1.4.2", "2.0.0"]);
  });
  afterAll(async () => {
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("is denied with a wrong password (exit 1, clear message, no password in it)", async () => {
    const wrong = "definitely-not-the-password";
    const secret = await runCli(
      [
        "create",
        "secret",
        "docker-registry",
        "badcred",
        `--server=${registry.host}`,
        `--username=${registry.username}`,
        `--password=${wrong}`,
        "--home",
        home,
      ],
      { env: env() },
    );
    expect(secret.code).toBe(0);
    const r = await runCli(
      [
        "policy",
        "test",
        "--image",
        `${registry.host}/private/app`,
        "--secret-ref",
        "badcred",
        "--select-semver",
        "1.x",
        "--home",
        home,
      ],
      { env: env() },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rejected the configured credentials \(HTTP 401\)/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it("reads the tags with the named docker-registry secret", async () => {
    const secret = await runCli(
      [
        "create",
        "secret",
        "docker-registry",
        "regcred",
        `--server=${registry.host}`,
        `--username=${registry.username}`,
        "--password-stdin",
        "--home",
        home,
      ],
      { stdin: registry.password, env: env() },
    );
    expect(secret.code).toBe(0);
    const r = await runCli(
      [
        "policy",
        "test",
        "--image",
        `${registry.host}/private/app`,
        "--secret-ref",
        "regcred",
        "--select-semver",
        "1.x",
        "-o",
        "json",
        "--home",
        home,
      ],
      { env: env() },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).latest).toBe("1.4.2");
    expect(r.stdout + r.stderr).not.toContain(registry.password);
  });

  it("names the flag when the secret does not exist", async () => {
    const r = await runCli(
      [
        "policy",
        "test",
        "--image",
        `${registry.host}/private/app`,
        "--secret-ref",
        "nope",
        "--select-semver",
        "1.x",
        "--home",
        home,
      ],
      { env: env() },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("secret 'flux-system/nope' not found (--secret-ref)");
  });
});
