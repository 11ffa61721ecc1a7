import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headOf } from "../support/git-repo.js";
import {
  automation,
  type FleetLab,
  MARK,
  sourceAndPolicy,
  startFleetLab,
} from "../support/write-back-fleet.js";

describe("imagectl diff -f: the store and the Git push that applying manifests would make", () => {
  let lab: FleetLab;
  beforeAll(async () => {
    lab = await startFleetLab(["1.0.0", "1.1.0"]);
    const base = lab.file("base.yaml", sourceAndPolicy(lab.url, lab.image));
    expect((await lab.cli("apply", "-f", base)).code).toBe(0);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it("reports nothing for the applied manifests (exit 0)", async () => {
    const r = await lab.cli("diff", "-f", lab.file("same.yaml", sourceAndPolicy(lab.url, lab.image)));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        "GitRepository/flux-system/fleet unchanged",
        "ImageRepository/flux-system/app unchanged",
        "ImagePolicy/flux-system/app unchanged",
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(0);
  });

  it("shows changed fields, a new automation and the commit it would push; changes nothing", async () => {
    const before = await headOf(lab.bare, "main");
    const text = `${sourceAndPolicy(lab.url, lab.image).replace("range: 1.x", "range: 1.1.x")}---\n${automation()}`;
    const r = await lab.cli("diff", "-f", lab.file("new.yaml", text));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `ImagePolicy/flux-system/app configured\n    ~ spec.policy.semver.range: "1.x" -> "1.1.x"\n`,
    );
    expect(r.stdout).toContain("ImageUpdateAutomation/flux-system/app created\n");
    expect(r.stdout).toContain(
      "ImageUpdateAutomation/flux-system/app would push:\n    commit message:\n        Update ",
    );
    for (const line of [
      `-  image: ${lab.image}:1.0.0 ${MARK("app")}`,
      `+  image: ${lab.image}:1.1.0 ${MARK("app")}`,
      `+FROM ${lab.image}:1.1.0 AS run`,
      `+APP_TAG=1.1.0 ${MARK("app:tag")}`,
      `+  image = "${lab.image}:1.1.0" ${MARK("app")}`,
    ])
      expect(r.stdout).toContain(`    ${line}\n`);
    expect(r.stdout).not.toContain("README.md"); // not a file markers are read in
    expect(await headOf(lab.bare, "main")).toBe(before);
    const stored = JSON.parse((await lab.cli("get", "image", "policy", "app", "-o", "json")).stdout);
    expect(stored.spec.policy.semver.range).toBe("1.x");
    expect((await lab.cli("get", "image", "update", "app")).code).not.toBe(0);
  });

  it("lists stored objects the manifests lack with --prune, and refuses invalid manifests naming the field", async () => {
    const only = lab.file("only.yaml", sourceAndPolicy(lab.url, lab.image).split("---")[0]!);
    const pruned = await lab.cli("diff", "-f", only, "--prune");
    expect(pruned.stdout).toBe("GitRepository/flux-system/fleet unchanged\n");
    const bad = await lab.cli(
      "diff",
      "-f",
      lab.file("bad.yaml", automation().replace("interval: 1h", "interval: soon")),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^✗ nothing compared:\n.*bad\.yaml:\d+: document 1 \(ImageUpdateAutomation\/flux-system\/app\): spec\.interval/,
    );
  });
});
