import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { headOf, hermeticGit, showFile } from "../support/git-repo.js";
import { generateGpgKey, type TestGpgKey } from "../support/gpg.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { type Sshd, startSshd } from "../support/sshd.js";

// The CLI path for an SSH remote (key + known_hosts from a git secret) and signed commits
// (SSH and GPG signing keys from secrets), verified with `git verify-commit`.
describe("write-back over SSH with signed commits, driven by the CLI", () => {
  let registry: TestRegistry;
  let sshd: Sshd;
  let gpg: TestGpgKey;
  let dir: string;
  let image: string;
  const cli = (...args: string[]) => runCli([...args, "--home", join(dir, "home")]);

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    sshd = await startSshd();
    gpg = await generateGpgKey({ email: "bot@example.com" });
    dir = mkdtempSync(join(tmpdir(), "imagectl-ssh-"));
    image = `${registry.host}/team/api`;
    await registry.pushTags("team/api", ["1.0.0", "1.1.0"]);
    for (const name of ["ssh-signed.git", "gpg-signed.git"])
      await sshd.createBareRepo(name, {
        "deploy.yaml": `image: ${image}:1.0.0 # {"$imagepolicy": "flux-system:api"}\n`,
      });
    writeFileSync(join(dir, "id"), sshd.clientKey, { mode: 0o600 });
    writeFileSync(join(dir, "known_hosts"), sshd.knownHosts);
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "signer", "-f", join(dir, "signer")]);
    writeFileSync(join(dir, "signer.asc"), gpg.armoredPrivateKey);
    expect((await cli("create", "image", "repository", "api", `--image=${image}`)).code).toBe(0);
    expect(
      (await cli("create", "image", "policy", "api", "--image-ref=api", "--select-semver=1.x")).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await sshd?.stop();
    await registry?.stop();
    await gpg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function automation(repo: string, signing: string[]): Promise<string> {
    const url = sshd.url(repo);
    const secret = await cli(
      "create",
      "secret",
      "git",
      `${repo}-auth`,
      `--url=${url}`,
      `--private-key-file=${join(dir, "id")}`,
      `--known-hosts-file=${join(dir, "known_hosts")}`,
    );
    expect(secret.code).toBe(0);
    expect(
      (
        await cli(
          "create",
          "source",
          "git",
          repo.replace(".git", ""),
          `--url=${url}`,
          "--branch=main",
          `--secret-ref=${repo}-auth`,
        )
      ).code,
    ).toBe(0);
    const r = await cli(
      "create",
      "image",
      "update",
      repo.replace(".git", ""),
      `--git-repo-ref=${repo.replace(".git", "")}`,
      "--checkout-branch=main",
      "--author-name=bot",
      "--author-email=bot@example.com",
      ...signing,
    );
    expect(r.stderr).toContain("pushed commit");
    expect(r.code).toBe(0);
    const bare = join(sshd.root, repo);
    expect(await showFile(bare, "main", "deploy.yaml")).toBe(
      `image: ${image}:1.1.0 # {"$imagepolicy": "flux-system:api"}\n`,
    );
    return (await headOf(bare, "main"))!;
  }

  it("signs with an SSH key from a secret; git verify-commit accepts it", async () => {
    expect(
      (await cli("create", "secret", "generic", "ssh-signer", `--from-file=identity=${join(dir, "signer")}`))
        .code,
    ).toBe(0);
    const commit = await automation("ssh-signed.git", [
      "--signing-key-secret=ssh-signer",
      "--signing-key-type=ssh",
    ]);
    const allowed = join(dir, "allowed_signers");
    writeFileSync(allowed, `bot@example.com ${readFileSync(join(dir, "signer.pub"), "utf8")}`);
    await hermeticGit(
      ["-c", `gpg.ssh.allowedSignersFile=${allowed}`, "verify-commit", commit],
      join(sshd.root, "ssh-signed.git"),
    );
  });

  it("signs with a GPG key from a secret; git verify-commit accepts it", async () => {
    expect(
      (
        await cli(
          "create",
          "secret",
          "generic",
          "gpg-signer",
          `--from-file=git.asc=${join(dir, "signer.asc")}`,
        )
      ).code,
    ).toBe(0);
    const commit = await automation("gpg-signed.git", ["--signing-key-secret=gpg-signer"]);
    const out = await execa("git", ["verify-commit", "--raw", commit], {
      cwd: join(sshd.root, "gpg-signed.git"),
      env: { GNUPGHOME: gpg.home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    });
    expect(out.stderr).toContain("GOODSIG");
  });

  it("never prints the private keys", async () => {
    const secrets = await cli("get", "secrets");
    const exported = (await cli("export", "source", "git", "--all")).stdout;
    for (const out of [secrets.stdout, exported]) {
      expect(out).not.toContain("PRIVATE KEY");
    }
    expect(secrets.stdout).toMatch(/flux-system\s+ssh-signer\s+Opaque/);
  });
});
