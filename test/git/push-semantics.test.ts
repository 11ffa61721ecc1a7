import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, previewAutomation, runAutomation } from "../../src/git/index.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, pushCommit, showFile, subjects } from "../support/git-repo.js";
import { author, tempDirs, writeFiles } from "./helpers.js";

describe("push semantics over smart HTTP", () => {
  let server: GitHttpServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    server = await startGitHttpServer();
  });
  afterAll(async () => {
    await server.stop();
    await dirs.cleanup();
  });

  async function repo(name: string) {
    const bare = await server.createBareRepo(name, { "app.yaml": "tag: 1\n", "other.yaml": "x: 1\n" });
    const opts = { cacheDir: await dirs.make(), url: server.url(name), checkoutBranch: "main", author };
    return { bare, opts };
  }

  it("creates a missing push branch from the checkout branch and leaves the checkout branch alone", async () => {
    const { bare, opts } = await repo("newbranch.git");
    const mainBefore = await headOf(bare, "main");
    const r = await runAutomation({ ...opts, pushBranch: "auto" }, writeFiles({ "app.yaml": "tag: 2\n" }));
    expect(r.pushed).toBe(true);
    expect(await headOf(bare, "main")).toBe(mainBefore);
    expect(await headOf(bare, "auto")).toBe(r.commit);
    expect(await showFile(bare, `${r.commit}~1`, "app.yaml")).toBe("tag: 1\n");
    // A different push branch reports the checked-out revision, as Flux does.
    expect(r.revision).toBe(`main@sha1:${mainBefore}`);
  });

  it("stacks on an existing push branch instead of recreating it", async () => {
    const { bare, opts } = await repo("stack.git");
    const first = await runAutomation(
      { ...opts, pushBranch: "auto" },
      writeFiles({ "app.yaml": "tag: 2\n" }, "first"),
    );
    const second = await runAutomation(
      { ...opts, pushBranch: "auto" },
      writeFiles({ "other.yaml": "x: 2\n" }, "second"),
    );
    expect(second.pushed).toBe(true);
    expect(await subjects(bare, "auto")).toEqual(["second", "first", "seed"]);
    expect(await showFile(bare, "auto", "app.yaml")).toBe("tag: 2\n");
    expect(first.commit).not.toBe(second.commit);
  });

  it("pushes the refspec as well as the branch", async () => {
    const { bare, opts } = await repo("refspec.git");
    const r = await runAutomation(
      { ...opts, refspec: "refs/heads/main:refs/heads/mirror" },
      writeFiles({ "app.yaml": "tag: 3\n" }),
    );
    expect(await headOf(bare, "main")).toBe(r.commit);
    expect(await headOf(bare, "mirror")).toBe(r.commit);
  });

  it("delivers push options to the server's pre-receive hook", async () => {
    const { bare, opts } = await repo("options.git");
    const seen = join(bare, "push-options.txt");
    const hook = join(bare, "hooks", "pre-receive");
    await writeFile(
      hook,
      `#!/bin/sh\ni=0\nwhile [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do eval "echo \\"\\$GIT_PUSH_OPTION_$i\\"" >> '${seen}'; i=$((i+1)); done\n`,
    );
    await chmod(hook, 0o755);
    await runAutomation(
      { ...opts, pushOptions: { "merge_request.create": "", topic: "images" } },
      writeFiles({ "app.yaml": "tag: 4\n" }),
    );
    expect((await readFile(seen, "utf8")).split("\n").filter(Boolean)).toEqual([
      "merge_request.create=",
      "topic=images",
    ]);
  });

  it("does not commit or push when nothing changed", async () => {
    const { bare, opts } = await repo("noop.git");
    const before = await headOf(bare, "main");
    const same = await runAutomation(opts, writeFiles({ "app.yaml": "tag: 1\n" }));
    expect(same).toEqual({ pushed: false, revision: `main@sha1:${before}`, attempts: 1, filesChanged: [] });
    const none = await runAutomation(opts, async () => null);
    expect(none.pushed).toBe(false);
    expect(await headOf(bare, "main")).toBe(before);
  });

  it("leaves the remote unchanged and says why when a pre-receive hook refuses the push", async () => {
    const { bare, opts } = await repo("hooked.git");
    const hook = join(bare, "hooks", "pre-receive");
    await writeFile(hook, "#!/bin/sh\necho 'policy: direct pushes to main are not allowed' >&2\nexit 1\n");
    await chmod(hook, 0o755);
    const before = await headOf(bare, "main");
    const err = await runAutomation(
      { ...opts, refspec: "refs/heads/main:refs/heads/mirror" },
      writeFiles({ "app.yaml": "tag: 5\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("push");
    expect((err as GitError).message).toMatch(/remote rejected/);
    expect((err as GitError).message).toContain("direct pushes to main are not allowed");
    expect(await headOf(bare, "main")).toBe(before);
    expect(await headOf(bare, "mirror")).toBeNull();
    // The cache holds no leftover commit: the next run (hook gone) starts from the remote head.
    await writeFile(hook, "#!/bin/sh\nexit 0\n");
    const ok = await runAutomation(opts, writeFiles({ "other.yaml": "x: 9\n" }, "after"));
    expect(await subjects(bare, "main")).toEqual(["after", "seed"]);
    expect(await showFile(bare, ok.commit ?? "", "app.yaml")).toBe("tag: 1\n");
  });

  it("rebuilds the commit on the new head when the branch moved during the run", async () => {
    const { bare, opts } = await repo("moved.git");
    let calls = 0;
    const r = await runAutomation(opts, async (workTree) => {
      calls++;
      // Someone else pushes after our fetch, during the first attempt only.
      if (calls === 1) await pushCommit(bare, "main", { "other.yaml": "x: outside\n" }, "outside");
      await writeFile(join(workTree, "app.yaml"), "tag: 6\n");
      return { message: "ours" };
    });
    expect(r.attempts).toBe(2);
    expect(calls).toBe(2);
    expect(await subjects(bare, "main")).toEqual(["ours", "outside", "seed"]);
    expect(await showFile(bare, "main", "other.yaml")).toBe("x: outside\n");
  });

  it("gives up after maxAttempts with a push error", async () => {
    const { bare, opts } = await repo("busy.git");
    let n = 0;
    const err = await runAutomation({ ...opts, maxAttempts: 2 }, async (workTree) => {
      await pushCommit(bare, "main", { "other.yaml": `x: busy-${++n}\n` });
      await writeFile(join(workTree, "app.yaml"), "tag: 7\n");
      return { message: "never lands" };
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toMatch(/gave up after 2 attempts/);
    expect(await subjects(bare, "main")).not.toContain("never lands");
  });

  it("reports a missing checkout branch", async () => {
    const { opts } = await repo("nobranch.git");
    const err = await runAutomation({ ...opts, checkoutBranch: "develop" }, writeFiles({ a: "b" })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("checkout");
    expect((err as GitError).message).toContain("'develop'");
  });

  it("previews the diff and message without pushing or dirtying the cache", async () => {
    const { bare, opts } = await repo("preview.git");
    const before = await headOf(bare, "main");
    const p = await previewAutomation(
      opts,
      writeFiles({ "app.yaml": "tag: 8\n", "new.yaml": "n: 1\n" }, "msg"),
    );
    expect(p.message).toBe("msg");
    expect(p.revision).toBe(`main@sha1:${before}`);
    expect(p.diff).toContain("diff --git a/app.yaml b/app.yaml");
    expect(p.diff).toContain("-tag: 1\n+tag: 8");
    expect(p.diff).toContain("+++ b/new.yaml");
    expect(await headOf(bare, "main")).toBe(before);
    const after = await runAutomation(opts, async () => null);
    expect(after.pushed).toBe(false);
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(join(opts.cacheDir, "repo"))).not.toContain("new.yaml");
    const empty = await previewAutomation(opts, writeFiles({ "app.yaml": "tag: 1\n" }));
    expect(empty).toEqual({ diff: "", message: null, revision: `main@sha1:${before}` });
  });

  it("reports a push whose answer was lost once the remote is seen holding it, for that automation only", async () => {
    const { bare, opts } = await repo("lost.git");
    // The server updates the ref, then its post-receive hook outlasts the client's deadline: the
    // push lands, the client sees a timeout.
    const hook = join(bare, "hooks", "post-receive");
    await writeFile(hook, "#!/bin/sh\nsleep 3\n");
    await chmod(hook, 0o755);
    const err = await runAutomation(
      { ...opts, pushKey: "apps/a", timeoutMs: 1000 },
      writeFiles({ "app.yaml": "tag: 10\n" }, "lost answer"),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    const landed = await headOf(bare, "main");
    expect(await subjects(bare, "main")).toEqual(["lost answer", "seed"]);
    await writeFile(hook, "#!/bin/sh\nexit 0\n");
    const change = writeFiles({ "app.yaml": "tag: 10\n" });
    // Another automation sharing the clone finds nothing to do, and nothing of its own pushed.
    expect((await runAutomation({ ...opts, pushKey: "apps/b" }, change)).pushed).toBe(false);
    // The automation that pushed: its commit is on the remote, reported with its message.
    const next = await runAutomation({ ...opts, pushKey: "apps/a" }, change);
    expect(next).toMatchObject({ pushed: true, commit: landed, landedEarlier: { message: "lost answer" } });
    expect(next.revision).toBe(`main@sha1:${landed}`);
    // Reported once: the run after that is up-to-date.
    expect((await runAutomation({ ...opts, pushKey: "apps/a" }, change)).pushed).toBe(false);
  });

  it("forgets a push that never landed", async () => {
    const { bare, opts } = await repo("refused.git");
    const hook = join(bare, "hooks", "pre-receive");
    await writeFile(hook, "#!/bin/sh\nexit 1\n");
    await chmod(hook, 0o755);
    await runAutomation({ ...opts, pushKey: "apps/a" }, writeFiles({ "app.yaml": "tag: 11\n" })).catch(
      () => {},
    );
    // Someone else makes the same change: nothing for us to report as ours.
    await writeFile(hook, "#!/bin/sh\nexit 0\n");
    await pushCommit(bare, "main", { "app.yaml": "tag: 11\n" }, "by hand");
    const r = await runAutomation({ ...opts, pushKey: "apps/a" }, writeFiles({ "app.yaml": "tag: 11\n" }));
    expect(r.pushed).toBe(false);
  });
});
