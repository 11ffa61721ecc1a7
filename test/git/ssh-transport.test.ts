import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, lsRemoteHead, runAutomation } from "../../src/git/index.js";
import { headOf, showFile } from "../support/git-repo.js";
import { type Sshd, startSshd } from "../support/sshd.js";
import { author, cachedGitConfig, tempDirs, writeFiles } from "./helpers.js";

describe("git over ssh", () => {
  let sshd: Sshd;
  const dirs = tempDirs();
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd.stop();
    await dirs.cleanup();
  });

  it("clones and pushes with a private key and known_hosts", async () => {
    const bare = await sshd.createBareRepo("ssh.git", { "app.yaml": "tag: 1\n" });
    const cacheDir = await dirs.make();
    const auth = { sshPrivateKey: sshd.clientKey, knownHosts: sshd.knownHosts };
    const r = await runAutomation(
      { cacheDir, url: sshd.url("ssh.git"), auth, checkoutBranch: "main", author },
      writeFiles({ "app.yaml": "tag: 2\n" }),
    );
    expect(r.pushed).toBe(true);
    expect(await headOf(bare, "main")).toBe(r.commit);
    expect(await showFile(bare, "main", "app.yaml")).toBe("tag: 2\n");
    expect(await cachedGitConfig(cacheDir)).not.toContain("PRIVATE KEY");
    expect(await lsRemoteHead(sshd.url("ssh.git"), "main", auth)).toBe(r.commit);
  });

  it("refuses a server whose host key is not in known_hosts", async () => {
    await sshd.createBareRepo("unknown.git", { "app.yaml": "tag: 1\n" });
    const otherHost =
      "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const err = await runAutomation(
      {
        cacheDir: await dirs.make(),
        url: sshd.url("unknown.git"),
        auth: { sshPrivateKey: sshd.clientKey, knownHosts: otherHost },
        checkoutBranch: "main",
        author,
      },
      writeFiles({ "app.yaml": "tag: 2\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("auth");
    expect((err as GitError).message).toMatch(/host key/i);
    expect((err as GitError).message).not.toContain("PRIVATE KEY");
  });

  it("requires known_hosts for ssh URLs, as Flux does", async () => {
    const err = await runAutomation(
      {
        cacheDir: await dirs.make(),
        url: sshd.url("unknown.git"),
        auth: { sshPrivateKey: sshd.clientKey },
        checkoutBranch: "main",
        author,
      },
      writeFiles({ "app.yaml": "tag: 2\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toContain("known_hosts");
  });
});
