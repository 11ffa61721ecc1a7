import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

describe("export → apply reproduces objects; invalid manifests are rejected whole", () => {
  let registry: TestRegistry;
  let dir: string;
  let image: string;
  const homeA = () => join(dir, "a");
  const homeB = () => join(dir, "b");

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    dir = mkdtempSync(join(tmpdir(), "imagectl-exp-"));
    image = `${registry.host}/team/app`;
    await registry.pushTags("team/app", ["1.0.0", "1.2.0", "2.0.0-rc.1", "1.2.0.sig"]);
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("round-trips repositories and policies into a fresh home", async () => {
    const a = (...args: string[]) => runCli([...args, "--home", homeA()]);
    expect(
      (
        await a(
          "create",
          "image",
          "repository",
          "app",
          `--image=${image}`,
          "--interval=5m",
          "--label",
          "team=a",
        )
      ).code,
    ).toBe(0);
    expect(
      (await a("create", "image", "policy", "app", "--image-ref=app", "--select-semver=>=1.0.0 <2.0.0")).code,
    ).toBe(0);
    const exported =
      (await a("export", "image", "repository", "--all")).stdout +
      (await a("export", "image", "policy", "--all")).stdout;
    expect(exported).toContain("---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository");
    expect(exported).toContain("interval: 5m0s");
    expect(exported).not.toContain("status");
    const file = join(dir, "export.yaml");
    writeFileSync(file, exported);

    const b = (...args: string[]) => runCli([...args, "--home", homeB()]);
    const applied = await b("apply", "-f", file);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("ImageRepository/flux-system/app created");
    expect(applied.stdout).toContain("ImagePolicy/flux-system/app created");
    const again =
      (await b("export", "image", "repository", "--all")).stdout +
      (await b("export", "image", "policy", "--all")).stdout;
    expect(again).toBe(exported);
    // apply reconciled them (no daemon): the policy already has its result
    const pol = JSON.parse((await b("get", "image", "policy", "app", "-o", "json")).stdout);
    expect(pol.status.latestRef).toEqual({ name: image, tag: "1.2.0" });
    const repo = JSON.parse((await b("get", "image", "repository", "app", "-o", "json")).stdout);
    expect(repo.status.lastScanResult.tagCount).toBe(3); // 1.2.0.sig excluded by default
  });

  it("rejects a file with one invalid document and writes nothing", async () => {
    const home = join(dir, "c");
    const bad = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ok
spec:
  image: ${image}
  interval: 1m
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: broken
spec:
  imageRepositoryRef:
    name: ok
  policy:
    semver:
      range: "not a range"
`;
    const file = join(dir, "bad.yaml");
    writeFileSync(file, bad);
    const r = await runCli(["apply", "-f", file, "--home", home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bad.yaml");
    expect(r.stderr).toContain("document 2");
    expect(r.stderr).toContain("spec.policy.semver.range");
    const list = await runCli(["get", "image", "repository", "--home", home]);
    expect(list.stdout).toBe("");
    expect(list.stderr).toContain("no ImageRepository objects found");
  });

  it("refuses two selections in `create image policy` instead of creating an empty policy", async () => {
    const r = await runCli([
      "create",
      "image",
      "policy",
      "x",
      "--image-ref=app",
      "--select-semver=1.x",
      "--select-alpha=asc",
      "--home",
      join(dir, "d"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("only one of --select-semver, --select-alpha");
  });

  it("names the flag of an invalid filter regex", async () => {
    const r = await runCli([
      "create",
      "image",
      "policy",
      "x",
      "--image-ref=app",
      "--select-numeric=asc",
      "--filter-regex=(?<=a)b",
      "--export",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--filter-regex: invalid regular expression pattern");
  });
});
