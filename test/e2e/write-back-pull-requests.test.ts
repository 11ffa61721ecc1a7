import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ForgePrServer, type Provider, startForgePrServer } from "../support/forge-pr-server.js";
import { headOf, hermeticGit, showFile } from "../support/git-repo.js";
import {
  automation,
  type FleetLab,
  fleetFiles,
  sourceAndPolicy,
  startFleetLab,
} from "../support/write-back-fleet.js";

// The Git half runs against a real smart-HTTP remote; the forge half against a loopback server
// that checks every request against the forge's published API description.
describe.each<Provider>(["github", "gitlab", "gitea"])("pull requests on %s", (provider) => {
  const TOKEN = `t0ken-for-${provider}-do-not-print`;
  const ENV = `IMAGECTL_TEST_${provider.toUpperCase()}_TOKEN`;
  let lab: FleetLab;
  let forge: ForgePrServer;
  const status = async () =>
    JSON.parse((await lab.cli("get", "image", "update", "app", "-o", "json")).stdout).status;

  beforeAll(async () => {
    process.env[ENV] = TOKEN;
    lab = await startFleetLab(["1.0.0", "1.1.0"]);
    forge = await startForgePrServer(provider, {
      token: TOKEN,
      repository: "org/fleet",
      users: { alice: 7 },
      labels: { deps: 3 },
    });
    const annotation = JSON.stringify({
      provider,
      apiURL: forge.apiUrl,
      repository: "org/fleet",
      tokenEnv: ENV,
      title: "Images: {{ range .Changed.Changes }}{{ .NewValue }} {{ end }}",
      labels: ["deps"],
      reviewers: ["alice"],
    });
    const text = `${sourceAndPolicy(lab.url, lab.image)}---\n${automation({ annotations: { "imagectl.io/pull-request": annotation } })}`;
    const applied = await lab.cli("apply", "-f", lab.file("all.yaml", text));
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
  });
  afterAll(async () => {
    delete process.env[ENV];
    await forge?.stop();
    await lab?.stop();
  });

  it("opens one request from its own branch and leaves the checkout branch alone", async () => {
    expect(await showFile(lab.bare, "main", "apps/Dockerfile")).toBe(
      fleetFiles(lab.image, "1.0.0")["apps/Dockerfile"],
    );
    expect(await showFile(lab.bare, "imagectl/app", "apps/Dockerfile")).toBe(
      fleetFiles(lab.image, "1.1.0")["apps/Dockerfile"],
    );
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]).toMatchObject({
      branch: "imagectl/app",
      base: "main",
      state: "open",
      labels: ["deps"],
    });
    expect(forge.pulls[0]!.title).toMatch(/^Images: (.*1\.1\.0 )+$/);
    expect(forge.pulls[0]!.reviewers).toEqual([provider === "gitlab" ? "7" : "alice"]);
    const s = await status();
    expect(s.pullRequests).toEqual([
      { branch: "imagectl/app", number: 1, url: expect.stringContaining("/1") },
    ]);
    expect(forge.violations).toEqual([]);
  });

  it("updates the same request in place when a newer tag arrives, and does nothing when nothing changed", async () => {
    await lab.registry.pushTags("fleet/app", ["1.2.0"]);
    expect((await lab.cli("reconcile", "image", "repository", "app")).code).toBe(0);
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]!.title).toMatch(/^Images: (.*1\.2\.0 )+$/);
    expect(await showFile(lab.bare, "imagectl/app", "infra/main.tf")).toBe(
      fleetFiles(lab.image, "1.2.0")["infra/main.tf"],
    );
    // the branch is rebuilt on main's head: one commit on top of it
    const count = await hermeticGit(["rev-list", "--count", "main..imagectl/app"], lab.bare);
    expect(count).toBe("1\n");
    const head = await headOf(lab.bare, "imagectl/app");
    const calls = forge.calls.length;
    expect((await lab.cli("reconcile", "image", "update", "app")).code).toBe(0);
    expect(await headOf(lab.bare, "imagectl/app")).toBe(head);
    expect(forge.calls.slice(calls).every((c) => c.startsWith("GET "))).toBe(true);
    expect(forge.violations).toEqual([]);
  });

  it("closes the request and deletes its branch once the checkout branch has the change", async () => {
    await hermeticGit(["update-ref", "refs/heads/main", "refs/heads/imagectl/app"], lab.bare);
    const r = await lab.cli("reconcile", "image", "update", "app");
    expect(r.code).toBe(0);
    expect(forge.pulls[0]!.state).toBe("closed");
    expect(await headOf(lab.bare, "imagectl/app")).toBeNull();
    expect((await status()).pullRequests).toBeUndefined();
    expect(forge.violations).toEqual([]);
    const everything = JSON.stringify(await status()) + r.stdout + r.stderr;
    expect(everything).not.toContain(TOKEN);
  });
});

describe("the loopback forge checks requests against the description", () => {
  it("records an undescribed operation, an undescribed query parameter and a body off its schema", async () => {
    const forge = await startForgePrServer("github", { token: "t", repository: "o/r" });
    try {
      const headers = { authorization: "token t", "content-type": "application/json" };
      await fetch(`${forge.apiUrl}/repos/o/r/pulls?colour=red`, { headers });
      await fetch(`${forge.apiUrl}/repos/o/r/pulls`, {
        method: "POST",
        headers,
        body: JSON.stringify({ title: 5 }),
      });
      await fetch(`${forge.apiUrl}/repos/o/r/merge`, { method: "POST", headers, body: "{}" });
      expect(forge.violations).toEqual([
        "GET /repos/{owner}/{repo}/pulls: query parameter colour not described",
        "POST /repos/{owner}/{repo}/pulls: body must have required property 'head'",
        "POST /repos/{owner}/{repo}/pulls: body must have required property 'base'",
        "POST /repos/{owner}/{repo}/pulls: body/title must be string",
        "POST /repos/o/r/merge: no such operation in the github description",
      ]);
    } finally {
      await forge.stop();
    }
  });
});
