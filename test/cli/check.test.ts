import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { runCli } from "../support/cli.js";
import { createBareRepoAt } from "../support/git-repo.js";
import { exited } from "../support/imagectl-process.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// `imagectl check` against a real token-auth registry and real Git remotes (file://).
describe("imagectl check", () => {
  let registry: TestRegistry;
  let home: string;
  let gitRoot: string;
  const wrong = "definitely-not-the-password";
  const cli = (...args: string[]) =>
    runCli([...args, "--home", home], { env: { ...process.env, DOCKER_CONFIG: join(home, "docker") } });

  beforeAll(async () => {
    registry = await startRegistry({ mode: "token" });
    home = mkdtempSync(join(tmpdir(), "imagectl-check-"));
    gitRoot = mkdtempSync(join(tmpdir(), "imagectl-check-git-"));
    await registry.pushTags("private/app", ["1.0.0"]);
    await createBareRepoAt(gitRoot, "fleet.git", { "README.md": "fleet\n" }, "main");
  });
  afterAll(async () => {
    await registry?.stop();
    for (const d of [home, gitRoot]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("--pre checks only Node.js and git", async () => {
    const r = await cli("check", "--pre");
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toEqual([
      "► checking prerequisites",
      expect.stringMatching(/^✔ node \d+\.\d+\.\d+ >=\d+\.\d+/),
      expect.stringMatching(/^✔ git \d+\.\d+\.\d+ >=2\.31\.0$/),
      "✔ prerequisites checks passed",
    ]);
  });

  it("names each failing object and what to do, and exits 1", async () => {
    const secret = (name: string, password: string) =>
      cli(
        "create",
        "secret",
        "docker-registry",
        name,
        `--server=${registry.host}`,
        `--username=${registry.username}`,
        `--password=${password}`,
      );
    expect((await secret("goodcred", registry.password)).code).toBe(0);
    expect((await secret("badcred", wrong)).code).toBe(0);
    const image = `${registry.host}/private/app`;
    await cli("create", "image", "repository", "good", `--image=${image}`, "--secret-ref=goodcred");
    await cli("create", "image", "repository", "bad", `--image=${image}`, "--secret-ref=badcred");
    await cli(
      "create",
      "source",
      "git",
      "fleet",
      `--url=file://${join(gitRoot, "fleet.git")}`,
      "--branch=main",
    );
    await cli(
      "create",
      "source",
      "git",
      "nobranch",
      `--url=file://${join(gitRoot, "fleet.git")}`,
      "--branch=nope",
    );
    // An object damaged outside the CLI's validation (the store itself does not validate).
    const store = await openStore({ home });
    await store.apply([
      {
        apiVersion: "image.toolkit.fluxcd.io/v1",
        kind: "ImagePolicy",
        metadata: { name: "broken", namespace: "flux-system" },
        spec: { imageRepositoryRef: { name: "good" }, policy: { semver: { range: "not a range" } } },
      },
    ]);
    await store.close();

    const r = await cli("check");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("► no daemon running");
    expect(r.stderr).toMatch(
      /✔ ImageRepository flux-system\/good: registry 127\.0\.0\.1:\d+ answers with the credentials/,
    );
    expect(r.stderr).toMatch(
      /✗ ImageRepository flux-system\/bad: .*: check the credentials in secret 'flux-system\/badcred' \(spec\.secretRef\)/,
    );
    expect(r.stderr).toMatch(
      /✔ GitRepository flux-system\/fleet: file:\/\/\S+ reachable, branch 'main' at [0-9a-f]{7}/,
    );
    expect(r.stderr).toMatch(
      /✗ GitRepository flux-system\/nobranch: branch 'nope' not found in \S+: check spec\.ref\.branch/,
    );
    expect(r.stderr).toMatch(
      /✗ ImagePolicy flux-system\/broken: invalid: spec\.policy\.semver\.range: .*: fix it with/,
    );
    expect(r.stderr).toContain("✗ 3 checks failed");
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(r.stdout + r.stderr).not.toContain(registry.password);
  });

  it("reports a daemon that does not answer, and ignores a stale daemon.json", async () => {
    const sleeper: ChildProcess = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(
        join(home, "daemon.json"),
        JSON.stringify({ pid: sleeper.pid, startedAt: new Date().toISOString(), url: "http://127.0.0.1:1" }),
      );
      const r = await cli("check");
      expect(r.stderr).toMatch(
        new RegExp(
          `✗ daemon pid ${sleeper.pid}: http://127\\.0\\.0\\.1:1/healthz did not answer .*: restart \`imagectl serve\``,
        ),
      );
    } finally {
      sleeper.kill("SIGTERM");
      await exited(sleeper);
    }
    const stale = await cli("check");
    expect(stale.stderr).toContain(
      `► no daemon running (daemon.json of process ${sleeper.pid}, which is gone)`,
    );
    rmSync(join(home, "daemon.json"));
  });
});
