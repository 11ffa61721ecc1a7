import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, runAutomation } from "../../src/git/index.js";
import { createBareRepoAt, hermeticGit } from "../support/git-repo.js";
import { generateGpgKey, type TestGpgKey } from "../support/gpg.js";
import { author, tempDirs, writeFiles } from "./helpers.js";

describe("signed commits", () => {
  let root: string;
  const dirs = tempDirs();
  const keys: TestGpgKey[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "imagectl-signed-"));
  });
  afterAll(async () => {
    await Promise.all(keys.map((k) => k.stop()));
    await rm(root, { recursive: true, force: true });
    await dirs.cleanup();
  });

  async function setup(name: string) {
    const bare = await createBareRepoAt(root, name, { "app.yaml": "tag: 1\n" });
    return {
      bare,
      opts: { cacheDir: await dirs.make(), url: `file://${bare}`, checkoutBranch: "main", author },
    };
  }

  for (const passphrase of [undefined, "gpg-pass-phrase"]) {
    it(`signs with a GPG key${passphrase ? " protected by a passphrase" : ""} and git verify-commit accepts it`, async () => {
      const key = await generateGpgKey({ passphrase });
      keys.push(key);
      const { bare, opts } = await setup(`gpg-${passphrase ? "pass" : "plain"}.git`);
      const r = await runAutomation(
        { ...opts, signing: { type: "gpg", key: key.armoredPrivateKey, passphrase } },
        writeFiles({ "app.yaml": "tag: 2\n" }),
      );
      const verified = await execa("git", ["verify-commit", "--raw", r.commit ?? ""], {
        cwd: bare,
        env: { GNUPGHOME: key.home, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
        reject: false,
      });
      expect(verified.exitCode).toBe(0);
      expect(verified.stderr).toContain(`VALIDSIG ${key.fingerprint}`);
    });
  }

  it("refuses a GPG secret holding more than one key", async () => {
    const a = await generateGpgKey();
    const b = await generateGpgKey();
    keys.push(a, b);
    const { opts } = await setup("gpg-two.git");
    const err = await runAutomation(
      { ...opts, signing: { type: "gpg", key: `${a.armoredPrivateKey}\n${b.armoredPrivateKey}` } },
      writeFiles({ "app.yaml": "tag: 2\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("sign");
    expect((err as GitError).message).toContain("exactly one");
  });

  for (const passphrase of [undefined, "ssh-key-pass"]) {
    it(`signs with an SSH key${passphrase ? " protected by a passphrase" : ""} and git verify-commit accepts it`, async () => {
      const keyDir = await dirs.make();
      const keyFile = join(keyDir, "signer");
      await execa("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        passphrase ?? "",
        "-C",
        "signer",
        "-f",
        keyFile,
      ]);
      const allowed = join(keyDir, "allowed_signers");
      await writeFile(allowed, `${author.email} ${await readFile(`${keyFile}.pub`, "utf8")}`);
      const { bare, opts } = await setup(`ssh-${passphrase ? "pass" : "plain"}.git`);
      const r = await runAutomation(
        { ...opts, signing: { type: "ssh", key: await readFile(keyFile, "utf8"), passphrase } },
        writeFiles({ "app.yaml": "tag: 3\n" }),
      );
      const out = await hermeticGit(
        ["-c", `gpg.ssh.allowedSignersFile=${allowed}`, "verify-commit", r.commit ?? ""],
        bare,
      ).catch((e: { stderr?: string }) => `FAILED ${e.stderr}`);
      expect(out).not.toMatch(/^FAILED/);
    });
  }

  it("fails with op sign, before committing, on a wrong SSH key passphrase", async () => {
    const keyDir = await dirs.make();
    const keyFile = join(keyDir, "signer");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "right-pass", "-f", keyFile]);
    const { opts } = await setup("ssh-wrong.git");
    const err = await runAutomation(
      { ...opts, signing: { type: "ssh", key: await readFile(keyFile, "utf8"), passphrase: "wrong-pass" } },
      writeFiles({ "app.yaml": "tag: 3\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("sign");
    expect((err as GitError).message).not.toContain("wrong-pass");
  });
});
