import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, lsRemoteHead, runAutomation } from "../../src/git/index.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, showFile } from "../support/git-repo.js";
import { author, cachedGitConfig, tempDirs, writeFiles } from "./helpers.js";

const PASSWORD = "s3cret-Pa55word";
const TOKEN = "tok-0123456789abcdef";

describe("smart HTTP with basic auth", () => {
  let server: GitHttpServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    server = await startGitHttpServer({ username: "gituser", password: PASSWORD });
  });
  afterAll(async () => {
    await server.stop();
    await dirs.cleanup();
  });

  it("clones, commits and pushes with credentials that never reach .git/config", async () => {
    const bare = await server.createBareRepo("app.git", { "deploy/app.yaml": "image: app:1.0.0\n" });
    const cacheDir = await dirs.make();
    const opts = {
      cacheDir,
      url: server.url("app.git"),
      auth: { username: "gituser", password: PASSWORD },
      checkoutBranch: "main",
      author,
    };
    const result = await runAutomation(
      opts,
      writeFiles({ "deploy/app.yaml": "image: app:1.1.0\n" }, "bump app"),
    );
    expect(result.pushed).toBe(true);
    expect(result.filesChanged).toEqual(["deploy/app.yaml"]);
    expect(result.attempts).toBe(1);
    expect(await headOf(bare, "main")).toBe(result.commit);
    expect(result.revision).toBe(`main@sha1:${result.commit}`);
    expect(await showFile(bare, "main", "deploy/app.yaml")).toBe("image: app:1.1.0\n");
    const config = await cachedGitConfig(cacheDir);
    expect(config).not.toContain(PASSWORD);
    expect(config).not.toContain("gituser");

    // Second run on the warm cache fetches the pushed head and stacks on it.
    const second = await runAutomation(opts, writeFiles({ "deploy/app.yaml": "image: app:1.2.0\n" }));
    expect(second.pushed).toBe(true);
    expect(await showFile(bare, `${second.commit}~1`, "deploy/app.yaml")).toBe("image: app:1.1.0\n");
    expect(await lsRemoteHead(server.url("app.git"), "main", opts.auth)).toBe(second.commit);
    expect(await lsRemoteHead(server.url("app.git"), "nope", opts.auth)).toBeNull();
  });

  it("fails with op auth and no secret in the message when the password is wrong", async () => {
    await server.createBareRepo("denied.git", { "a.yaml": "a: 1\n" });
    const wrong = `${PASSWORD}-wrong`;
    const err = await runAutomation(
      {
        cacheDir: await dirs.make(),
        url: server.url("denied.git"),
        auth: { username: "gituser", password: wrong },
        checkoutBranch: "main",
        author,
      },
      writeFiles({ "a.yaml": "a: 2\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("auth");
    expect((err as GitError).message).not.toContain(wrong);
    expect((err as GitError).message).not.toContain(PASSWORD);
  });

  it("refuses a URL that embeds credentials without echoing them", async () => {
    const url = server.url("app.git").replace("http://", `http://gituser:${PASSWORD}@`);
    const err = await runAutomation(
      { cacheDir: await dirs.make(), url, checkoutBranch: "main", author },
      writeFiles({ "x.yaml": "x: 1\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("auth");
    expect((err as GitError).message).not.toContain(PASSWORD);
  });
});

describe("smart HTTP with a bearer token", () => {
  let server: GitHttpServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    server = await startGitHttpServer({ bearerToken: TOKEN });
  });
  afterAll(async () => {
    await server.stop();
    await dirs.cleanup();
  });

  it("sends the token as an Authorization header and pushes", async () => {
    const bare = await server.createBareRepo("tok.git", { "a.yaml": "a: 1\n" });
    const cacheDir = await dirs.make();
    const result = await runAutomation(
      { cacheDir, url: server.url("tok.git"), auth: { bearerToken: TOKEN }, checkoutBranch: "main", author },
      writeFiles({ "a.yaml": "a: 2\n" }),
    );
    expect(result.pushed).toBe(true);
    expect(await showFile(bare, "main", "a.yaml")).toBe("a: 2\n");
    expect(await cachedGitConfig(cacheDir)).not.toContain(TOKEN);
  });

  it("without the token the run fails as an auth error", async () => {
    await server.createBareRepo("tok2.git", { "a.yaml": "a: 1\n" });
    const err = await runAutomation(
      { cacheDir: await dirs.make(), url: server.url("tok2.git"), checkoutBranch: "main", author },
      writeFiles({ "a.yaml": "a: 2\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("auth");
  });
});
