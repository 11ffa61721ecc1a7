import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headOf, showFile } from "../support/git-repo.js";
import {
  automation,
  type FleetLab,
  fleetFiles,
  sourceAndPolicy,
  startFleetLab,
} from "../support/write-back-fleet.js";

describe("previews before anything is pushed, over a real remote", () => {
  let lab: FleetLab;
  beforeAll(async () => {
    lab = await startFleetLab(["1.0.0", "1.2.0"]);
    expect(
      (await lab.cli("apply", "-f", lab.file("base.yaml", sourceAndPolicy(lab.url, lab.image)))).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await lab?.stop();
  });
  /** `imagectl create image update app --dry-run` on the lab's source, with FLAGS. */
  const dryCreate = (...flags: string[]) =>
    lab.cli(
      "create",
      "image",
      "update",
      "app",
      "--git-repo-ref=fleet",
      "--checkout-branch=main",
      ...flags,
      "--dry-run",
    );

  it("create image update --dry-run prints the first run's diff and message; stores and pushes nothing", async () => {
    const before = await headOf(lab.bare, "main");
    const r = await dryCreate(
      "--author-name=imagectl",
      "--author-email=imagectl@example.invalid",
      "--commit-template=bump to {{ (index .Changed.Changes 0).NewValue }}",
      "--include=README.md",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^commit message:\n {4}bump to /);
    expect(r.stdout).toContain(`+FROM ${lab.image}:1.2.0 AS run`);
    expect(r.stdout).toContain(`+fleet ${lab.image}:1.2.0 `); // README.md through --include
    expect(await headOf(lab.bare, "main")).toBe(before);
    expect((await lab.cli("get", "image", "update", "app")).code).not.toBe(0);
  });

  it("create image update --dry-run refuses a bad --include before touching anything", async () => {
    const r = await dryCreate(
      "--author-name=a",
      "--author-email=a@example.invalid",
      "--include=../outside/*",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      '✗ --include: glob "../outside/*": must be relative and stay inside the update path\n',
    );
  });

  it("reconcile --dry-run works on a suspended automation; a plain reconcile still refuses", async () => {
    expect((await lab.cli("apply", "-f", lab.file("auto.yaml", automation({ suspend: true })))).code).toBe(0);
    const before = await headOf(lab.bare, "main");
    const dry = await lab.cli("reconcile", "image", "update", "app", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`+APP_TAG=1.2.0 `);
    expect(await headOf(lab.bare, "main")).toBe(before);
    const real = await lab.cli("reconcile", "image", "update", "app");
    expect(real.code).toBe(1);
    expect(real.stderr).toContain("resource is suspended");
    expect(await showFile(lab.bare, "main", "apps/Dockerfile")).toBe(
      fleetFiles(lab.image, "1.0.0")["apps/Dockerfile"],
    );
  });
});
