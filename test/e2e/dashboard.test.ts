import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axe from "axe-core";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { headOf, showFile } from "../support/git-repo.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { fleetAutomation } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The dashboard in Debian's chromium, against a real `imagectl serve`, a real registry and a real
// Git remote (smart HTTP): what the pages say, live updates after an action, refusals, axe-core.
const PASSWORD = "dashboard-e2e-password-51d0";
/** Text as laid out (table cells apart by tabs), which the assertions read. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, not the DOM property
const shown = (l: Locator) => l.innerText();
const ARTIFACTS = process.env.IMAGECTL_ARTIFACTS ?? join(tmpdir(), "imagectl-dashboard-artifacts");

describe("the dashboard in a real browser", () => {
  let registry: TestRegistry;
  let git: GitHttpServer;
  let home: string;
  let bare: string;
  let image: string;
  let daemon: ReturnType<typeof spawnServe> | undefined;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    git = await startGitHttpServer();
    image = `${registry.host}/fleet/app`;
    await registry.pushTags("fleet/app", ["1.0.0", "1.1.0", "2.0.0", "latest"]);
    home = mkdtempSync(join(tmpdir(), "imagectl-dashboard-e2e-"));
    mkdirSync(ARTIFACTS, { recursive: true });
    bare = await git.createBareRepo("fleet.git", {
      "deploy.yaml": `image: ${image}:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`,
    });
    const manifest = join(home, "objects.yaml");
    writeFileSync(manifest, fleetAutomation(bare, image).replace(`file://${bare}`, git.url("fleet.git")));
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
    const secret = await runCli([
      "create",
      "secret",
      "generic",
      "dash",
      "--from-literal=username=admin",
      `--from-literal=password=${PASSWORD}`,
      "--home",
      home,
    ]);
    expect(secret.code).toBe(0);
    const seeded = await headOf(bare, "main");
    daemon = spawnServe(home, ["--poll", "100", "--dashboard-auth-secret", "flux-system/dash"]);
    url = await daemon.url();
    await eventually(
      async () => ((await headOf(bare, "main")) !== seeded ? true : undefined),
      60_000,
      "the daemon to write 1.1.0 back",
    );
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (daemon && daemon.exitCode === null) {
      daemon.kill("SIGTERM");
      await exited(daemon);
    }
    await registry?.stop();
    await git?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** A page that signed in through "Sign in" (/login answers 401 until the browser sends credentials). */
  async function signedIn(): Promise<Page> {
    const page = await browser.newPage({ httpCredentials: { username: "admin", password: PASSWORD } });
    await page.goto(`${url}/`);
    await page.getByRole("link", { name: "Sign in" }).click();
    await expect.poll(() => shown(page.locator(".account"))).toBe("signed in");
    return page;
  }

  /** axe-core's serious and critical violations on the page, as "rule: target" lines. */
  async function seriousViolations(page: Page): Promise<string[]> {
    await page.evaluate(axe.source);
    const result = (await page.evaluate(
      "axe.run(document, { resultTypes: ['violations'] })",
    )) as axe.AxeResults;
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
  }

  async function visit(page: Page, path: string, shot: string): Promise<void> {
    const res = await page.goto(`${url}${path}`);
    expect(res?.status(), path).toBe(200);
    expect(await seriousViolations(page), path).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`), fullPage: true });
  }

  it("the overview lists the objects, with their state and the recent changes", async () => {
    const page = await browser.newPage();
    await visit(page, "/", "overview");
    const objects = page.locator("section", { has: page.locator("#h-objects") });
    for (const kind of ["GitRepository", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation"])
      await expect.poll(() => objects.getByRole("cell", { name: kind, exact: true }).count()).toBe(1);
    expect(await shown(page.locator("section", { has: page.locator("#h-changes") }))).toContain(
      `resolved to 1.1.0`,
    );
    // read-only on loopback: no credentials needed to look, but the way to sign in is offered
    await expect.poll(() => page.getByRole("link", { name: "Sign in" }).count()).toBe(1);
    await page.close();
  });

  it("a policy page explains the winner: candidates in order, rejected tags by reason", async () => {
    const page = await browser.newPage();
    await visit(page, "/policies/flux-system/app", "policy");
    const text = await shown(page.locator("main"));
    expect(text).toContain("The policy selects 1.1.0");
    expect(text).toMatch(/1\s+1\.1\.0\s+1\.1\.0\s*\n\s*2\s+1\.0\.0/);
    expect(text).toMatch(/not semver\s+1\s+latest/);
    expect(text).toMatch(/out of range\s+1\s+2\.0\.0/);
    expect(await page.locator("svg.timeline").count()).toBe(1);
    await page.close();
  });

  it("every other page passes axe and is captured", async () => {
    const page = await browser.newPage();
    await visit(page, "/repositories", "repositories");
    await visit(page, "/repositories/flux-system/app", "repository");
    await visit(page, "/policies", "policies");
    await visit(page, "/automations", "automations");
    await visit(page, "/automations/flux-system/app", "automation");
    // the last pushed commit's patch, from the daemon's clone (`git show`)
    expect(await shown(page.locator("main"))).toMatch(
      /^\+image: .*:1\.1\.0 # \{"\$imagepolicy": "flux-system:app"\}$/m,
    );
    await visit(page, "/events", "events");
    await page.close();
  });

  it("works with JavaScript off: views, search, and an action answered with a redirect back", async () => {
    const page = await browser.newPage({
      javaScriptEnabled: false,
      httpCredentials: { username: "admin", password: PASSWORD },
    });
    await page.goto(`${url}/repositories/flux-system/app`);
    await page.getByLabel("Tag contains").fill("1.");
    await page.getByRole("button", { name: "Search" }).click();
    expect(page.url()).toContain("q=1.");
    const tags = await shown(page.locator("main table").first());
    expect(tags).toContain("1.1.0");
    expect(tags).not.toContain("latest");
    await page.goto(`${url}/login`);
    await page.goto(`${url}/policies`);
    await page.getByRole("button", { name: "Reconcile ImagePolicy flux-system/app" }).click();
    expect(new URL(page.url()).pathname).toBe("/policies");
    expect(await shown(page.locator("h1"))).toBe("Image policies");
    await page.close();
  });

  it("an action without auth is refused, in the page and over plain HTTP", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    await page.getByRole("button", { name: "Reconcile ImageRepository flux-system/app" }).click();
    await expect.poll(() => shown(page.locator("#flash"))).toContain("authentication required");
    await page.close();
    const form = "kind=ImageRepository&namespace=flux-system&name=app";
    const anon = await fetch(`${url}/actions/reconcile`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
      redirect: "manual",
    });
    expect(anon.status).toBe(401);
    const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
    const crossSite = await fetch(`${url}/actions/reconcile`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: auth,
        origin: "http://evil.example",
      },
      body: form,
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
  });

  it("a new tag and a press on reconcile show the new latest ref and the new commit without a reload", async () => {
    const page = await signedIn();
    await page.goto(`${url}/`);
    await page.evaluate("window.__sameDocument = true");
    await expect.poll(() => shown(page.locator("#live"))).toBe("Live");
    await registry.pushTags("fleet/app", ["1.2.0"]);
    const before = await headOf(bare, "main");
    await page.getByRole("button", { name: "Reconcile ImageRepository flux-system/app" }).click();
    const changes = page.locator("section", { has: page.locator("#h-changes") });
    await expect.poll(() => shown(changes), { timeout: 30_000 }).toContain("resolved to 1.2.0");
    const after = await eventually(
      async () => {
        const head = await headOf(bare, "main");
        return head !== before ? head : undefined;
      },
      30_000,
      "the push of 1.2.0",
    );
    expect(await showFile(bare, "main", "deploy.yaml")).toContain(`${image}:1.2.0`);
    await expect
      .poll(() => shown(changes), { timeout: 30_000 })
      .toContain(`pushed commit '${(after as string).slice(0, 7)}'`);
    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "overview-after-reconcile.png"), fullPage: true });
    await page.close();
  });

  it("suspend, preview the next commit, resume: the preview is what the run then pushes", async () => {
    const page = await signedIn();
    await page.goto(`${url}/automations/flux-system/app`);
    await page.getByRole("button", { name: "Suspend ImageUpdateAutomation flux-system/app" }).click();
    await expect.poll(() => shown(page.locator("main"))).toContain("Suspended");
    await registry.pushTags("fleet/app", ["1.3.0"]);
    expect((await runCli(["reconcile", "image", "repository", "app", "--home", home])).code).toBe(0);
    await page.getByRole("button", { name: "Preview the next commit of flux-system/app" }).click();
    const preview = page.locator("#preview");
    await expect.poll(() => shown(preview), { timeout: 30_000 }).toContain(`+image: ${image}:1.3.0`);
    expect(await shown(preview)).toContain(`-image: ${image}:1.2.0`);
    expect(await showFile(bare, "main", "deploy.yaml")).toContain(`${image}:1.2.0`);
    await page.screenshot({ path: join(ARTIFACTS, "automation-preview.png"), fullPage: true });
    await page.getByRole("button", { name: "Resume ImageUpdateAutomation flux-system/app" }).click();
    await eventually(
      async () =>
        (await showFile(bare, "main", "deploy.yaml")).includes(`${image}:1.3.0`) ? true : undefined,
      30_000,
      "the push of 1.3.0",
    );
    await page.close();
  });
});
