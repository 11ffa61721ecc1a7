import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { giteaPullRequests } from "../../src/git/forge/pull-requests-gitea.js";
import { type ForgePrServer, startForgePrServer } from "../support/forge-pr-server.js";

// Gitea answers at most 50 items a page: the automation's own pull request and its labels must be
// found on a later page too, or every run would try to open a second request.
describe("Gitea lists read page by page", () => {
  let forge: ForgePrServer;
  beforeAll(async () => {
    const labels = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`label-${i}`, 1000 + i]));
    forge = await startForgePrServer("gitea", { token: "t", repository: "org/fleet", labels });
    for (let i = 1; i <= 130; i++)
      forge.pulls.push({
        number: i,
        branch: `someone/topic-${i}`,
        base: "main",
        title: `topic ${i}`,
        body: "",
        state: "open",
        labels: [],
        reviewers: [],
      });
  });
  afterAll(async () => {
    await forge?.stop();
  });

  const client = () =>
    giteaPullRequests({
      provider: "gitea",
      apiUrl: forge.apiUrl,
      repository: "org/fleet",
      token: "t",
      timeoutMs: 5_000,
    });

  it("finds an open pull request on the third page, and stops at the page that has it", async () => {
    forge.calls.length = 0;
    const found = await client().findOpen("someone/topic-120");
    expect(found).toMatchObject({ number: 120, title: "topic 120" });
    expect(forge.calls).toEqual(Array(3).fill("GET repoListPullRequests"));
    expect(await client().findOpen("imagectl/none")).toBeUndefined();
    expect(forge.violations).toEqual([]);
  });

  it("gives a label on a later page its id", async () => {
    const pr = await client().create({
      branch: "imagectl/app",
      base: "main",
      title: "t",
      body: "",
      labels: ["label-1", "label-110"],
      reviewers: [],
    });
    expect(forge.pulls.find((p) => p.number === pr.number)?.labels).toEqual(["label-1", "label-110"]);
    expect(forge.violations).toEqual([]);
  });
});
