import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAutomation } from "../../src/git/index.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { showFile, subjects } from "../support/git-repo.js";
import { author, tempDirs, writeFiles } from "./helpers.js";

describe("automations racing on one branch", () => {
  let server: GitHttpServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    server = await startGitHttpServer({ username: "u", password: "race-password" });
  });
  afterAll(async () => {
    await server.stop();
    await dirs.cleanup();
  });

  it("lands every automation's change when they push concurrently from separate caches", async () => {
    const files = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`app-${i}.yaml`, "tag: 1\n"]));
    const bare = await server.createBareRepo("race.git", files);
    const auth = { username: "u", password: "race-password" };
    const runs = await Promise.all(
      Object.keys(files).map(async (file, i) =>
        runAutomation(
          { cacheDir: await dirs.make(), url: server.url("race.git"), auth, checkoutBranch: "main", author },
          writeFiles({ [file]: `tag: ${i + 2}\n` }, `update ${file}`),
        ),
      ),
    );
    expect(runs.every((r) => r.pushed)).toBe(true);
    for (const [i, file] of Object.keys(files).entries()) {
      expect(await showFile(bare, "main", file)).toBe(`tag: ${i + 2}\n`);
    }
    const log = await subjects(bare, "main");
    expect(log).toHaveLength(5);
    expect(new Set(log)).toEqual(new Set(["seed", ...Object.keys(files).map((f) => `update ${f}`)]));
  });

  it("serialises two runs sharing one cache directory", async () => {
    const bare = await server.createBareRepo("shared.git", { "a.yaml": "a: 1\n", "b.yaml": "b: 1\n" });
    const cacheDir = await dirs.make();
    const auth = { username: "u", password: "race-password" };
    const opts = { cacheDir, url: server.url("shared.git"), auth, checkoutBranch: "main", author };
    const [a, b] = await Promise.all([
      runAutomation(opts, writeFiles({ "a.yaml": "a: 2\n" }, "a")),
      runAutomation(opts, writeFiles({ "b.yaml": "b: 2\n" }, "b")),
    ]);
    expect(a.attempts + b.attempts).toBe(2);
    expect(await showFile(bare, "main", "a.yaml")).toBe("a: 2\n");
    expect(await showFile(bare, "main", "b.yaml")).toBe("b: 2\n");
  });
});
