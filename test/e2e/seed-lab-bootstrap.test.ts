import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, hermeticGit, pushCommit, showFile } from "../support/git-repo.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The seed lab as Flux users run it: `check`, `bootstrap git`, then the image objects kept in Git
// under clusters/staging and reviewed there, instead of `create`.
const USER = "bot";
const PASSWORD = "s3cret-pa55word-for-bootstrap";
const FILTER = "^main-[a-f0-9]+-(?P<ts>[0-9]+)";

const deployment = (image: string) => `apiVersion: apps/v1
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
`;

// A Flux Kustomization beside the image objects: not imagectl's, ignored by the sync.
const fluxKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`;

const imageRepository = (image: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: vote
  namespace: flux-system
spec:
  image: ${image}
  interval: 1m
`;

const imagePolicy = (range = "") => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: vote
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: vote
  filterTags:
    pattern: '${FILTER}'
    extract: '$ts'
  policy:
    ${range ? `semver: {range: '${range}'}` : "numerical: {order: asc}"}
`;

/** A commit deleting `paths` on `branch`, as a reviewer merging a removal would. */
async function removeFiles(bare: string, branch: string, paths: string[]): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "imagectl-rm-"));
  try {
    await hermeticGit(["clone", "-q", "--branch", branch, `file://${bare}`, work], tmpdir());
    await hermeticGit(["rm", "-q", ...paths], work);
    await hermeticGit(["commit", "-q", "-m", `remove ${paths.join(", ")}`], work);
    await hermeticGit(["push", "-q", "origin", `HEAD:refs/heads/${branch}`], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe("the seed lab bootstrapped: objects from Git", () => {
  let registry: TestRegistry;
  let git: GitHttpServer;
  let bare: string;
  let home: string;
  let image: string;
  const cli = (...args: string[]) => runCli([...args, "--home", home]);
  const policyJson = async () =>
    JSON.parse((await cli("get", "image", "policy", "vote", "-o", "json")).stdout);

  /** `imagectl bootstrap git` to the fleet repository as USER, the password on stdin, with FLAGS. */
  const bootstrapGit = (password: string, ...flags: string[]) =>
    runCli(
      [
        "bootstrap",
        "git",
        `--url=${git.url("fleet.git")}`,
        ...flags,
        `--username=${USER}`,
        "--password-stdin",
        "--allow-insecure-http",
        "--home",
        home,
      ],
      { stdin: password },
    );

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    git = await startGitHttpServer({ username: USER, password: PASSWORD });
    home = mkdtempSync(join(tmpdir(), "imagectl-boot-"));
    image = `${registry.host}/xxxxx/vote`;
    await registry.pushTags("xxxxx/vote", ["main-1a2b3c4-1700000100", "main-5d6e7f8-1700000300", "latest"]);
    bare = await git.createBareRepo("fleet.git", {
      "clusters/staging/apps/vote.yaml": deployment(`${image}:main-5d6e7f8-1700000300`),
      "clusters/staging/apps/flux-kustomization.yaml": fluxKustomization,
      "README.md": "fleet\n",
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await git?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("`check --pre` and `check` pass on a fresh home", async () => {
    const pre = await cli("check", "--pre");
    expect(pre.code).toBe(0);
    expect(pre.stderr).toMatch(/✔ node \S+ >=/);
    expect(pre.stderr).toMatch(/✔ git \S+ >=/);
    expect(pre.stderr).not.toContain("store");
    const all = await cli("check");
    expect(all.code).toBe(0);
    expect(all.stderr).toContain("opens, is migrated and writable");
    expect(all.stderr).toContain("► no daemon running");
    expect(all.stderr).toContain("✔ all checks passed");
  });

  it("a bootstrap refused by the remote leaves no commit, secret or source behind", async () => {
    const before = await headOf(bare, "main");
    const wrong = "wrong-password-for-bootstrap";
    const r = await bootstrapGit(wrong, "--path=./clusters/staging");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ git ls-remote failed: .*Authentication failed/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(wrong);
    expect(await headOf(bare, "main")).toBe(before);
    expect((await cli("get", "sources", "git")).stderr).toContain("no GitRepository objects found");
    expect((await cli("get", "secrets")).stdout).not.toContain("flux-system ");
  });

  it("`bootstrap git` commits imagectl's manifests, stores the source and syncs it", async () => {
    const before = await headOf(bare, "main");
    const r = await bootstrapGit(
      PASSWORD,
      "--branch=main",
      "--path=./clusters/staging",
      "--components-extra=image-reflector-controller,image-automation-controller",
      "--network-policy=false",
    );
    expect(r.stderr).toContain(
      "► --components-extra image-reflector-controller,image-automation-controller:",
    );
    expect(r.stderr).toContain("► --network-policy:");
    expect(r.stderr).toContain("✔ bootstrap finished");
    expect(r.code).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
    const head = await headOf(bare, "main");
    expect(head).not.toBe(before);
    const source = await showFile(bare, "main", "clusters/staging/imagectl-system/source.yaml");
    expect(source).toContain("kind: GitRepository");
    expect(source).toContain("imagectl.io/sync-path: ./clusters/staging");
    expect(source).not.toContain(PASSWORD);
    const automation = await showFile(bare, "main", "clusters/staging/imagectl-system/automation.yaml");
    expect(automation).toContain("path: ./clusters/staging");

    const src = await cli("get", "sources", "git");
    expect(src.stdout).toMatch(
      new RegExp(`^flux-system\\s+main@sha1:${head}\\s+False\\s+True\\s+Applied revision`, "m"),
    );
    const upd = await cli("get", "images", "update");
    expect(upd.stdout).toMatch(/^flux-system\s+.*\s+flux-system\/flux-system@main@sha1:[0-9a-f]{7}$/m);
  });

  it("a second `bootstrap git` changes nothing", async () => {
    const head = await headOf(bare, "main");
    const r = await bootstrapGit(PASSWORD, "--path=clusters/staging/");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("✔ sync manifests are up to date");
    expect(r.stderr).toContain("✔ source secret up to date");
    expect(r.stderr).toContain('✔ GitRepository "flux-system/flux-system" up to date');
    expect(await headOf(bare, "main")).toBe(head);
  });

  it("the repository and policy committed under clusters/staging become objects; the policy selects", async () => {
    await pushCommit(
      bare,
      "main",
      {
        "clusters/staging/images/vote-repository.yaml": imageRepository(image),
        "clusters/staging/images/vote-policy.yaml": imagePolicy(),
      },
      "add the vote image objects",
    );
    const run = await cli("run", "--once");
    expect(run.stdout).toMatch(/GitRepository\s+flux-system\/flux-system\s+True\s+Applied revision/);
    expect(run.code).toBe(0);
    const get = await cli("get", "images", "policy");
    expect(get.stdout).toMatch(/^NAME\s+IMAGE\s+TAG\s+READY\s+MESSAGE\s+SOURCE$/m);
    expect(get.stdout).toMatch(
      new RegExp(
        `^vote\\s+${image.replace(/\./g, "\\.")}\\s+main-5d6e7f8-1700000300\\s+True\\s+.*flux-system/flux-system@main@sha1:[0-9a-f]{7}$`,
        "m",
      ),
    );
    // Nothing but imagectl's kinds became objects: the Deployment and Kustomization were skipped.
    const repos = JSON.parse((await cli("get", "images", "all", "-o", "json")).stdout);
    expect(
      repos.items
        .map((o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual(["ImagePolicy/vote", "ImageRepository/vote", "ImageUpdateAutomation/flux-system"]);
  });

  it("a newer tag ends in a commit changing only the marked line, and that commit does not loop the sync", async () => {
    await registry.pushTags("xxxxx/vote", ["main-0f0f0f0-1700000400"]);
    const before = await headOf(bare, "main");
    const repoBefore = JSON.parse((await cli("get", "image", "repository", "vote", "-o", "json")).stdout);
    const run = await cli("run", "--once");
    expect(run.code).toBe(0);
    const head = await headOf(bare, "main");
    expect(head).not.toBe(before);
    const diff = await hermeticGit(["diff", "--unified=0", `${before}`, `${head}`], bare);
    const changed = diff.split("\n").filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      `-          image: ${image}:main-5d6e7f8-1700000300 # {"$imagepolicy": "flux-system:vote"}`,
      `+          image: ${image}:main-0f0f0f0-1700000400 # {"$imagepolicy": "flux-system:vote"}`,
    ]);
    expect(diff).toContain("clusters/staging/apps/vote.yaml");
    expect((await policyJson()).status.latestRef.tag).toBe("main-0f0f0f0-1700000400");

    // The next run syncs the automation's own commit: nothing changes, nothing is committed.
    const again = await cli("run", "--once");
    expect(again.code).toBe(0);
    expect(await headOf(bare, "main")).toBe(head);
    const src = await cli("get", "sources", "git");
    expect(src.stdout).toContain(`main@sha1:${head}`);
    const repoAfter = JSON.parse((await cli("get", "image", "repository", "vote", "-o", "json")).stdout);
    expect(repoAfter.metadata.annotations["imagectl.io/source-revision"]).toBe(
      repoBefore.metadata.annotations["imagectl.io/source-revision"],
    );
  });

  it("an invalid manifest stops the sync naming file, document and field; the last good set stays", async () => {
    const head = await headOf(bare, "main");
    await pushCommit(bare, "main", {
      "clusters/staging/images/vote-policy.yaml": `${fluxKustomization}---\n${imagePolicy("not a range")}`,
      "clusters/staging/images/extra.yaml": imageRepository(`${registry.host}/xxxxx/extra`).replaceAll(
        "vote",
        "extra",
      ),
    });
    const r = await cli("reconcile", "source", "git", "flux-system");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /clusters\/staging\/images\/vote-policy\.yaml:\d+: document 2 \(ImagePolicy\/flux-system\/vote\): spec\.policy\.semver\.range: /,
    );
    expect(r.stderr).toContain("nothing applied");
    // Nothing half-applied: the valid new object in the same commit was not created either.
    expect((await cli("get", "image", "repository", "extra")).code).toBe(1);
    expect((await policyJson()).spec.policy).toEqual({ numerical: { order: "asc" } });
    expect((await cli("get", "sources", "git")).stdout).toMatch(
      new RegExp(`main@sha1:${head}\\s+False\\s+False`),
    );
  });

  it("a manifest deleted from Git prunes its object; objects made by hand stay", async () => {
    const made = await cli("create", "image", "repository", "handmade", `--image=${image}`, "--interval=1h");
    expect(made.code).toBe(0);
    await removeFiles(bare, "main", [
      "clusters/staging/images/vote-policy.yaml",
      "clusters/staging/images/extra.yaml",
    ]);
    const r = await cli("reconcile", "source", "git", "flux-system");
    expect(r.code).toBe(0);
    const gone = await cli("get", "image", "policy", "vote");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`ImagePolicy object 'vote' not found`);
    expect((await cli("get", "image", "repository", "vote")).code).toBe(0);
    expect((await cli("get", "image", "repository", "handmade")).code).toBe(0);
    const table = (await cli("get", "image", "repository")).stdout;
    const handmade = table.split("\n").find((l) => l.startsWith("handmade "));
    expect(handmade).not.toContain("flux-system/flux-system@"); // no owner in the SOURCE column
  });

  it("with `serve` running, `reconcile source git` hands the sync to the daemon", async () => {
    const daemon = spawnServe(home);
    try {
      await daemon.url();
      await pushCommit(bare, "main", { "clusters/staging/images/vote-policy.yaml": imagePolicy() });
      const r = await cli("reconcile", "source", "git", "flux-system");
      expect(r.code).toBe(0);
      const tag = await eventually(
        async () => {
          const pol = await policyJson();
          return pol.status?.latestRef?.tag;
        },
        20_000,
        "the daemon to reconcile the policy the sync created",
      );
      expect(tag).toBe("main-0f0f0f0-1700000400");
      const check = await cli("check");
      expect(check.stderr).toMatch(/✔ daemon pid \d+ healthy at http:\/\/127\.0\.0\.1:\d+/);
      expect(check.stderr).toMatch(/✔ ImageRepository flux-system\/vote: registry 127\.0\.0\.1:\d+ answers/);
      expect(check.stderr).toMatch(
        /✔ GitRepository flux-system\/flux-system: .* reachable, branch 'main' at [0-9a-f]{7}/,
      );
      expect(check.code).toBe(0);
    } finally {
      daemon.kill("SIGTERM");
      expect(await exited(daemon)).toBe(0);
    }
  });
});
