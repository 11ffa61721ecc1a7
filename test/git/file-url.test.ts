import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lsRemoteHead, runAutomation } from "../../src/git/index.js";
import { createBareRepoAt, headOf, showFile } from "../support/git-repo.js";
import { tempDirs, writeFiles } from "./helpers.js";

describe("file:// remotes", () => {
  let root: string;
  const dirs = tempDirs();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "imagectl-fileremote-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await dirs.cleanup();
  });

  it("clones shallowly, commits with the spec's author and pushes", async () => {
    const bare = await createBareRepoAt(root, "local.git", { "app.yaml": "tag: 1\n" }, "master");
    const url = `file://${bare}`;
    const cacheDir = await dirs.make();
    const r = await runAutomation(
      { cacheDir, url, checkoutBranch: "master", author: { email: "only-email@example.invalid" } },
      writeFiles({ "nested/dir/new.yaml": "n: 1\n" }, "Update from image update automation"),
    );
    expect(r.filesChanged).toEqual(["nested/dir/new.yaml"]);
    expect(await headOf(bare, "master")).toBe(r.commit);
    expect(await showFile(bare, "master", "nested/dir/new.yaml")).toBe("n: 1\n");
    expect(await lsRemoteHead(url, "master")).toBe(r.commit);
    const { hermeticGit } = await import("../support/git-repo.js");
    const meta = await hermeticGit(["log", "-1", "--format=%an <%ae>|%cn <%ce>|%B", "master"], bare);
    expect(meta).toBe(
      "imagectl <only-email@example.invalid>|imagectl <only-email@example.invalid>|Update from image update automation\n",
    );
    // The cache is shallow: one commit of history is all a run needs.
    expect(await hermeticGit(["rev-parse", "--is-shallow-repository"], join(cacheDir, "repo"))).toBe(
      "true\n",
    );
  });
});
