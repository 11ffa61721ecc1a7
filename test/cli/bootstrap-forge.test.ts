import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type ForgeApiServer, startForgeApiServer } from "../support/forge-openapi-server.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, showFile } from "../support/git-repo.js";

// `bootstrap github|gitlab` against loopback APIs that check every request against the forges'
// published API descriptions; the Git remote behind them is a real git http-backend.
const TOKEN = "forge-token-0123456789abcdef";

describe.each(["github", "gitlab"] as const)("bootstrap %s", (kind) => {
  let git: GitHttpServer;
  let forge: ForgeApiServer;
  const homes: string[] = [];
  const envName = kind === "github" ? "GITHUB_TOKEN" : "GITLAB_TOKEN";
  const urlName = kind === "github" ? "IMAGECTL_GITHUB_API_URL" : "IMAGECTL_GITLAB_API_URL";
  const home = () => {
    const h = mkdtempSync(join(tmpdir(), `imagectl-${kind}-`));
    homes.push(h);
    return h;
  };
  const bootstrap = (h: string, ...args: string[]) =>
    runCli(["bootstrap", kind, "--branch=main", "--path=./clusters/staging", ...args, "--home", h], {
      env: { [envName]: TOKEN, [urlName]: forge.url, PATH: process.env.PATH },
    });

  beforeAll(async () => {
    git = await startGitHttpServer({ username: "git", password: TOKEN });
    forge = await startForgeApiServer({ kind, git, token: TOKEN, user: "octo", groups: ["acme"] });
  });
  afterEach(() => {
    // Every request any test made matched the vendored description.
    expect(forge.violations).toEqual([]);
  });
  afterAll(async () => {
    await forge?.stop();
    await git?.stop();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  it("creates a missing organization repository, then commits and syncs as `bootstrap git` does", async () => {
    const h = home();
    const r = await bootstrap(h, "--owner=acme", "--repository=fleet");
    expect(r.stderr).toContain(`✔ repository "acme/fleet" created`);
    expect(r.stderr).toContain("✔ bootstrap finished");
    expect(r.code).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
    const ops = forge.requests.map((q) => `${q.operationId} ${q.status}`);
    expect(ops).toEqual(
      kind === "github"
        ? ["repos/get 404", "repos/create-in-org 201"]
        : ["getApiV4ProjectsId 404", "getApiV4GroupsId 200", "postApiV4Projects 201"],
    );
    const created = forge.requests.at(-1)?.body as Record<string, unknown>;
    expect(created[kind === "github" ? "auto_init" : "initialize_with_readme"]).toBe(true);
    if (kind === "gitlab") expect(created.namespace_id).toBe(100);
    const bare = join(git.root, "acme/fleet.git");
    expect(await showFile(bare, "main", "README.md")).toContain("acme/fleet");
    expect(await showFile(bare, "main", "clusters/staging/imagectl-system/source.yaml")).toContain(
      git.url("acme/fleet.git"),
    );
    const src = await runCli(["get", "sources", "git", "--home", h]);
    expect(src.stdout).toMatch(/^flux-system\s+main@sha1:[0-9a-f]{40}\s+False\s+True/m);
  });

  it("finds an existing repository and changes nothing on a second run", async () => {
    const h = home();
    const bare = join(git.root, "acme/fleet.git");
    const head = await headOf(bare, "main");
    forge.requests.length = 0;
    const r = await bootstrap(h, "--owner=acme", "--repository=fleet");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`✔ repository "acme/fleet" found`);
    expect(r.stderr).toContain("✔ sync manifests are up to date");
    expect(forge.requests.map((q) => q.operationId)).toEqual([
      kind === "github" ? "repos/get" : "getApiV4ProjectsId",
    ]);
    expect(await headOf(bare, "main")).toBe(head);
  });

  it("--personal creates the repository for the token's user", async () => {
    forge.requests.length = 0;
    const r = await bootstrap(home(), "--owner=octo", "--repository=mine", "--personal");
    expect(r.code).toBe(0);
    expect(forge.requests.at(-1)?.operationId).toBe(
      kind === "github" ? "repos/create-for-authenticated-user" : "postApiV4Projects",
    );
    if (kind === "gitlab")
      expect((forge.requests.at(-1)?.body ?? {}) as Record<string, unknown>).not.toHaveProperty(
        "namespace_id",
      );
    expect(await headOf(join(git.root, "octo/mine.git"), "main")).toMatch(/^[0-9a-f]{40}$/);
  });

  it("an unknown owner fails naming the call, and leaves no store row", async () => {
    const h = home();
    const r = await bootstrap(h, "--owner=nobody", "--repository=x");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      kind === "github"
        ? /GitHub: create repository 'nobody\/x' failed \(HTTP 404\)/
        : /GitLab: get group 'nobody' failed \(HTTP 404\)/,
    );
    expect(r.stderr).not.toContain(TOKEN);
    const src = await runCli(["get", "sources", "git", "--home", h]);
    expect(src.stderr).toContain("no GitRepository objects found");
  });

  it(`without ${kind === "github" ? "GITHUB_TOKEN" : "GITLAB_TOKEN"} it stops before any request`, async () => {
    forge.requests.length = 0;
    const r = await runCli(
      ["bootstrap", kind, "--owner=acme", "--repository=fleet", "--path=x", "--home", home()],
      {
        env: { [urlName]: forge.url },
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${envName} is not set`);
    expect(forge.requests).toEqual([]);
  });

  it("the test server itself refuses a request that does not match the description", async () => {
    const path = kind === "github" ? "/user/repos" : "/api/v4/projects";
    const headers: Record<string, string> =
      kind === "github" ? { authorization: `token ${TOKEN}` } : { "private-token": TOKEN };
    const res = await fetch(`${forge.url}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(kind === "github" ? { auto_init: "yes" } : { initializeWithReadme: true }),
    });
    expect(res.status).toBe(kind === "github" ? 422 : 400);
    const seen = forge.violations.splice(0);
    expect(seen.join("\n")).toMatch(
      kind === "github"
        ? /body must have required property 'name'[\s\S]*body\/auto_init must be boolean/
        : /body\/initializeWithReadme is not in the description/,
    );
  });
});
