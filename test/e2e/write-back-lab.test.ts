import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, hermeticGit, pushCommit, showFile, subjects } from "../support/git-repo.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The lab extended: registry → policy → automation → commit on a smart-HTTP remote with basic auth.
const USER = "bot";
const PASSWORD = "s3cret-pa55word-for-git";

const deployment = (image: string) => `# the app: keep this comment and the blank line below

apiVersion: apps/v1
kind: Deployment
metadata:
  name: vote
  namespace: default
spec:
  template:
    spec:
      containers:
        - name: vote
          image: ${image} # {"$imagepolicy": "flux-system:vote"}
          args:
            - "--flag"   # untouched
      initContainers: [{name: init, image: busybox:1.36}]
`;

describe("write-back: registry → policy → automation over a real Git remote", () => {
  let registry: TestRegistry;
  let git: GitHttpServer;
  let bare: string;
  let home: string;
  let image: string;
  const cli = (...args: string[]) => runCli([...args, "--home", home]);

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    git = await startGitHttpServer({ username: USER, password: PASSWORD });
    home = mkdtempSync(join(tmpdir(), "imagectl-wb-"));
    image = `${registry.host}/xxxxx/vote`;
    await registry.pushTags("xxxxx/vote", ["main-1111111-1700000100", "main-2222222-1700000200"]);
    bare = await git.createBareRepo("fleet.git", {
      "apps/vote/deploy.yaml": deployment(`${image}:main-1111111-1700000100`),
      "apps/other.yaml": "kind: ConfigMap\nmetadata:\n  name: x\n",
      "README.md": "fleet\n",
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await git?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("sets up the source, the secret, the repository and the policy", async () => {
    const secret = await runCli(
      [
        "create",
        "secret",
        "git",
        "fleet-auth",
        `--url=${git.url("fleet.git")}`,
        `--username=${USER}`,
        "--password-stdin",
        "--home",
        home,
      ],
      { stdin: `${PASSWORD}\n` },
    );
    expect(secret.code).toBe(0);
    expect(secret.stderr + secret.stdout).not.toContain(PASSWORD);
    const src = await cli(
      "create",
      "source",
      "git",
      "fleet",
      `--url=${git.url("fleet.git")}`,
      "--branch=main",
      "--secret-ref=fleet-auth",
    );
    expect(src.code).toBe(0);
    expect((await cli("create", "image", "repository", "vote", `--image=${image}`)).code).toBe(0);
    const pol = await cli(
      "create",
      "image",
      "policy",
      "vote",
      "--image-ref=vote",
      "--select-numeric=asc",
      "--filter-regex=^main-[a-f0-9]+-(?P<ts>[0-9]+)",
      "--filter-extract=$ts",
    );
    expect(pol.code).toBe(0);
  });

  it("--dry-run shows the diff and the message, and pushes nothing", async () => {
    // the automation is applied from a manifest so that the dry run precedes any push
    const before = await headOf(bare, "main");
    const manifest = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: fleet
  namespace: flux-system
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: fleet
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: imagectl
        email: bot@example.com
      messageTemplate: |-
        Update images
        {{ range .Changed.Changes }}
        - {{ .OldValue }} -> {{ .NewValue }}
        {{- end }}
  update:
    path: ./apps
    strategy: Setters
`;
    const file = join(home, "auto.yaml");
    (await import("node:fs")).writeFileSync(file, manifest);
    const applied = await cli("apply", "-f", file, "--no-wait");
    expect(applied.code).toBe(0);
    const dry = await cli("reconcile", "image", "update", "fleet", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `-          image: ${image}:main-1111111-1700000100 # {"$imagepolicy": "flux-system:vote"}`,
    );
    expect(dry.stdout).toContain(
      `+          image: ${image}:main-2222222-1700000200 # {"$imagepolicy": "flux-system:vote"}`,
    );
    expect(dry.stdout).toContain("Update images");
    expect(await headOf(bare, "main")).toBe(before);
  });

  it("makes exactly one commit that changes exactly the marked line", async () => {
    const before = await headOf(bare, "main");
    const r = await cli("reconcile", "image", "update", "fleet");
    expect(r.code).toBe(0);
    const after = await headOf(bare, "main");
    expect(after).not.toBe(before);
    expect(await hermeticGit(["rev-list", "--count", `${before}..${after}`], bare)).toBe("1\n");
    const diff = await hermeticGit(["diff", "--unified=0", `${before}`, `${after}`], bare);
    const changed = diff.split("\n").filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      `-          image: ${image}:main-1111111-1700000100 # {"$imagepolicy": "flux-system:vote"}`,
      `+          image: ${image}:main-2222222-1700000200 # {"$imagepolicy": "flux-system:vote"}`,
    ]);
    expect(await showFile(bare, "main", "apps/vote/deploy.yaml")).toBe(
      deployment(`${image}:main-2222222-1700000200`),
    );
    expect((await subjects(bare, "main"))[0]).toBe("Update images");
    const auto = JSON.parse((await cli("get", "image", "update", "fleet", "-o", "json")).stdout);
    expect(auto.status.lastPushCommit).toBe(after);
    expect(auto.status.observedPolicies.vote.tag).toBe("main-2222222-1700000200");
    const table = await cli("get", "image", "update");
    expect(table.stdout).toMatch(/^fleet\s+\S+\s+False\s+True\s+repository up-to-date/m);
    // the credentials are nowhere in what the user can print
    const all = [
      table.stdout,
      (await cli("export", "source", "git", "fleet")).stdout,
      JSON.stringify(auto),
    ].join("\n");
    expect(all).not.toContain(PASSWORD);
  });

  it("a second run makes no commit", async () => {
    const before = await headOf(bare, "main");
    expect((await cli("reconcile", "image", "update", "fleet")).code).toBe(0);
    expect(await headOf(bare, "main")).toBe(before);
  });

  it("a newer tag makes one more commit, on top of someone else's change", async () => {
    await pushCommit(bare, "main", { "README.md": "fleet, edited by a human\n" });
    const before = await headOf(bare, "main");
    await registry.pushTags("xxxxx/vote", ["main-3333333-1700000300"]);
    // reconciling the repository wakes the policy, which wakes the automation (no daemon needed)
    expect((await cli("reconcile", "image", "repository", "vote")).code).toBe(0);
    const after = await headOf(bare, "main");
    expect(await hermeticGit(["rev-list", "--count", `${before}..${after}`], bare)).toBe("1\n");
    expect(await showFile(bare, "main", "apps/vote/deploy.yaml")).toBe(
      deployment(`${image}:main-3333333-1700000300`),
    );
    expect(await showFile(bare, "main", "README.md")).toBe("fleet, edited by a human\n");
  });
});
