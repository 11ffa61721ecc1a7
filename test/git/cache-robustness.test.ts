import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheLockedError, GitError, runAutomation } from "../../src/git/index.js";
import { withCacheLock } from "../../src/git/lock.js";
import { createBareRepoAt, headOf, showFile } from "../support/git-repo.js";
import { author, tempDirs, writeFiles } from "./helpers.js";

describe("cache robustness", () => {
  let root: string;
  const dirs = tempDirs();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "imagectl-cacherob-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await dirs.cleanup();
  });

  it("removes leftovers of a crashed run and a stale lock before the next run", async () => {
    const bare = await createBareRepoAt(root, "left.git", { "app.yaml": "tag: 1\n" });
    const cacheDir = await dirs.make();
    const opts = { cacheDir, url: `file://${bare}`, checkoutBranch: "main", author };
    await runAutomation(opts, writeFiles({ "app.yaml": "tag: 2\n" }));
    // Simulate a process that died mid-run: edits, an untracked file, and its lock file.
    await writeFile(join(cacheDir, "repo", "app.yaml"), "tag: half-written\n");
    await writeFile(join(cacheDir, "repo", "junk.yaml"), "junk: true\n");
    await writeFile(join(cacheDir, ".imagectl.lock"), "2147483646\n");
    const r = await runAutomation(opts, writeFiles({ "other.yaml": "o: 1\n" }));
    expect(r.filesChanged).toEqual(["other.yaml"]);
    expect(await showFile(bare, "main", "app.yaml")).toBe("tag: 2\n");
  });

  it("re-creates a cache whose repository was left half-initialised", async () => {
    const bare = await createBareRepoAt(root, "half.git", { "app.yaml": "tag: 1\n" });
    const cacheDir = await dirs.make();
    await mkdir(join(cacheDir, "repo", ".git"), { recursive: true });
    const r = await runAutomation(
      { cacheDir, url: `file://${bare}`, checkoutBranch: "main", author },
      writeFiles({ "app.yaml": "tag: 3\n" }),
    );
    expect(await headOf(bare, "main")).toBe(r.commit);
  });

  it("waits for a lock held by a live process and gives up with CacheLockedError", async () => {
    const cacheDir = await dirs.make();
    // PID 1 is always alive, so this lock is never considered stale.
    await writeFile(join(cacheDir, ".imagectl.lock"), "1\n");
    const err = await withCacheLock(cacheDir, async () => "ran", { waitMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheLockedError);
  });
});

describe("timeouts", () => {
  let server: Server;
  let port = 0;
  const sockets: Socket[] = [];
  const dirs = tempDirs();
  beforeAll(async () => {
    // Accepts connections and never answers: a hung Git server.
    server = createServer((s) => {
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    port = typeof addr === "object" && addr ? addr.port : 0;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await dirs.cleanup();
  });

  it("stops a fetch that exceeds timeoutMs with op timeout", async () => {
    const err = await runAutomation(
      {
        cacheDir: await dirs.make(),
        url: `http://127.0.0.1:${port}/hung.git`,
        checkoutBranch: "main",
        author,
        timeoutMs: 500,
      },
      writeFiles({ "a.yaml": "a: 1\n" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).op).toBe("timeout");
  });
});
