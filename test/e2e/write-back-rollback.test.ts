import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { headOf, hermeticGit, showFile, subjects } from "../support/git-repo.js";
import {
  automation,
  type FleetLab,
  fleetFiles,
  sourceAndPolicy,
  startFleetLab,
} from "../support/write-back-fleet.js";

/** A person reverts the newest commit of main with `git revert`, over the HTTP remote. */
async function humanRevert(url: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), "imagectl-human-"));
  try {
    await hermeticGit(["clone", "-q", "--branch", "main", url, work], tmpdir());
    await hermeticGit(["revert", "--no-edit", "HEAD"], work, {
      GIT_AUTHOR_NAME: "Pat Person",
      GIT_AUTHOR_EMAIL: "pat@example.invalid",
    });
    await hermeticGit(["push", "-q", "origin", "HEAD:refs/heads/main"], work);
    return (await hermeticGit(["rev-parse", "HEAD"], work)).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe("rollback awareness over a real remote: push, human revert, rescan, newer tag", () => {
  let lab: FleetLab;
  const status = async () =>
    JSON.parse((await lab.cli("get", "image", "update", "app", "-o", "json")).stdout).status;
  const events = async () => {
    const store = await openStore({ home: lab.home });
    try {
      return (await store.listEvents({ kind: "ImageUpdateAutomation", name: "app" })).map((e) => e.message);
    } finally {
      await store.close();
    }
  };
  beforeAll(async () => {
    lab = await startFleetLab(["1.0.0", "1.1.0"]);
    const text = `${sourceAndPolicy(lab.url, lab.image)}---\n${automation()}`;
    expect((await lab.cli("apply", "-f", lab.file("all.yaml", text))).code).toBe(0);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it("the automation pushes 1.1.0 to every marked file", async () => {
    expect(await showFile(lab.bare, "main", "apps/Dockerfile")).toBe(
      fleetFiles(lab.image, "1.1.0")["apps/Dockerfile"],
    );
    expect(await showFile(lab.bare, "main", "apps/.env")).toBe(fleetFiles(lab.image, "1.1.0")["apps/.env"]);
  });

  it("after a person reverts that commit, a rescan does not re-apply 1.1.0 and says why", async () => {
    const revert = await humanRevert(lab.url);
    expect(await showFile(lab.bare, "main", "apps/deploy.yaml")).toBe(
      fleetFiles(lab.image, "1.0.0")["apps/deploy.yaml"],
    );
    const r = await lab.cli("reconcile", "image", "update", "app");
    expect(r.code).toBe(0);
    expect(await headOf(lab.bare, "main")).toBe(revert);
    const s = await status();
    expect(s.rollbackPins).toHaveLength(4);
    expect(s.rollbackPins).toContainEqual({
      file: "apps/.env",
      setter: "flux-system:app:tag",
      kept: "1.0.0",
      reverted: "1.1.0",
      since: expect.any(String),
      seenAt: `main@sha1:${revert}`,
    });
    const ready = s.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready.message).toMatch(
      /^repository up-to-date; pinned after a rollback: apps\/.env \(flux-system:app:tag\) keeps '1.0.0'; '1.1.0' is not re-applied/,
    );
    expect((await events())[0]).toMatch(/^rollback detected, not re-applied: /);
    // the preview says the same and proposes nothing
    const dry = await lab.cli("reconcile", "image", "update", "app", "--dry-run");
    expect(dry.stdout).toContain(
      "no changes: the repository is up to date\npinned after a rollback: apps/.env (flux-system:app:tag) keeps '1.0.0', not '1.1.0'\n",
    );
  });

  it("a newer tag than the reverted one is applied, and the pins go", async () => {
    await lab.registry.pushTags("fleet/app", ["1.2.0"]);
    expect((await lab.cli("reconcile", "image", "repository", "app")).code).toBe(0);
    for (const f of ["apps/deploy.yaml", "apps/Dockerfile", "apps/.env", "infra/main.tf"])
      expect(await showFile(lab.bare, "main", f)).toBe(fleetFiles(lab.image, "1.2.0")[f]);
    expect((await status()).rollbackPins).toBeUndefined();
    expect((await events()).some((m) => m.startsWith("pushed commit"))).toBe(true);
  });

  it("imagectl resume lifts a pin: the reverted value is written again", async () => {
    const revert = await humanRevert(lab.url);
    expect((await lab.cli("reconcile", "image", "update", "app")).code).toBe(0);
    expect(await headOf(lab.bare, "main")).toBe(revert);
    expect((await status()).rollbackPins).toHaveLength(4);
    const resumed = await lab.cli("resume", "image", "update", "app");
    expect(resumed.code).toBe(0);
    expect(await headOf(lab.bare, "main")).not.toBe(revert);
    expect(await showFile(lab.bare, "main", "infra/main.tf")).toBe(
      fleetFiles(lab.image, "1.2.0")["infra/main.tf"],
    );
    expect((await subjects(lab.bare, "main"))[0]).toMatch(/^Update /);
    const s = await status();
    expect(s.rollbackPins).toBeUndefined();
    expect(s.lastHandledUnpinAt).toEqual(expect.any(String));
    // the lifted pin stays lifted: another run changes nothing
    const head = await headOf(lab.bare, "main");
    expect((await lab.cli("reconcile", "image", "update", "app")).code).toBe(0);
    expect(await headOf(lab.bare, "main")).toBe(head);
  });
});
