import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { catastrophicPolicy } from "../support/manifests.js";
import { type PaginationServer, startPaginationServer } from "../support/registry-pagination-server.js";

// `run --once` selects in the same worker pool as `serve`: a catastrophic pattern over 100,000
// tags ends at --policy-timeout as a not-Ready policy, and the other objects are reported as usual.
describe("run --once --policy-timeout", () => {
  let big: PaginationServer;
  let dir: string;
  let home: string;

  beforeAll(async () => {
    big = await startPaginationServer({
      repository: "big/app",
      tags: Array.from({ length: 100_000 }, (_, i) => `${"a".repeat(30)}-${i}`),
      style: "link",
    });
    dir = mkdtempSync(join(tmpdir(), "imagectl-run-policy-timeout-"));
    home = join(dir, "home");
    const manifest = join(dir, "objects.yaml");
    writeFileSync(
      manifest,
      `${catastrophicPolicy("big", `${big.host}/big/app`)}---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: good}
spec:
  imageRepositoryRef: {name: big}
  filterTags: {pattern: '^a+-(?P<n>[0-9]+)$', extract: '$n'}
  policy: {numerical: {order: asc}}
`,
    );
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
  });

  afterAll(async () => {
    await big?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("marks the slow policy not Ready with the limit, and selects for the others", async () => {
    const r = await runCli(["run", "--once", "--policy-timeout", "1s", "-o", "json", "--home", home]);
    expect(r.code).toBe(1);
    const { notReady, results } = JSON.parse(r.stdout) as {
      notReady: number;
      results: { key: { kind: string; name: string }; outcome: { ready: boolean; message: string } }[];
    };
    expect(notReady).toBe(1);
    const outcome = (name: string) =>
      results.find((e) => e.key.kind === "ImagePolicy" && e.key.name === name);
    expect(outcome("bad")?.outcome).toMatchObject({ ready: false });
    expect(outcome("bad")?.outcome.message).toMatch(
      /^ImagePolicy 'flux-system\/bad': policy evaluation stopped after 1\.\d\ds \(limit 1\.00s; \d+ of 100000 tags read\) with filterTags\.pattern '\^\(a\+\)\+\$'$/,
    );
    expect(outcome("good")?.outcome).toMatchObject({ ready: true });
    expect(outcome("good")?.outcome.message).toBe(
      `Latest image tag for ${big.host}/big/app resolved to ${"a".repeat(30)}-99999`,
    );
  }, 120_000);

  it("rejects a bad --policy-timeout with exit 2, naming the flag", async () => {
    const r = await runCli(["run", "--once", "--policy-timeout", "0s", "--home", home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--policy-timeout: must be more than 0, got '0s'");
  });
});
