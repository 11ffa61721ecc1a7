/**
 * `create source git`'s timeouts, as Flux's `flux create source git` has them: `--fetch-timeout`
 * sets the GitRepository's `spec.timeout` (Flux: persistent flag of `flux create source`), while
 * `--timeout` stays the global operation timeout on this command as on every other. Through the
 * CLI, against a real bare repository (file://) when the object is stored.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../support/cli.js";
import { createBareRepoAt } from "../support/git-repo.js";

describe("create source git: --fetch-timeout and the global --timeout", () => {
  let dir: string;
  let url: string;
  const cli = (args: string[]) => runCli(["--home", join(dir, "home"), ...args]);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "imagectl-source-flags-"));
    const bare = await createBareRepoAt(dir, "fleet.git", { "deploy.yaml": "image: app:1.0.0\n" });
    url = `file://${bare}`;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const createGit = (...flags: string[]) =>
    cli(["create", "source", "git", "fleet", `--url=${url}`, ...flags]);
  const specOf = (stdout: string) => (parse(stdout) as { spec: Record<string, unknown> }).spec;

  it("--fetch-timeout sets spec.timeout, in Flux's form", async () => {
    const r = await createGit("--fetch-timeout", "30s", "--export");
    expect(r.code, r.stderr).toBe(0);
    expect(specOf(r.stdout).timeout).toBe("30s");
    const m = await createGit("--fetch-timeout=1m30s", "--export");
    expect(specOf(m.stdout).timeout).toBe("1m30s");
  });

  it("--timeout is the operation's timeout there too: it never lands in the spec", async () => {
    const r = await createGit("--timeout", "30s", "--export");
    expect(r.code, r.stderr).toBe(0);
    expect(specOf(r.stdout).timeout).toBeUndefined();
    const bad = await createGit("--timeout", "soon", "--export");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--timeout: invalid duration 'soon'");
  });

  it("stores spec.timeout with the object and names --fetch-timeout in errors", async () => {
    const r = await createGit("--branch=main", "--fetch-timeout=45s", "--timeout=1m");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = await cli(["get", "source", "git", "fleet", "-o", "json"]);
    expect((JSON.parse(got.stdout) as { spec: { timeout?: string } }).spec.timeout).toBe("45s");

    const hours = await createGit("--fetch-timeout=1h", "--export");
    expect(hours.code).toBe(2);
    expect(hours.stderr).toContain("--fetch-timeout: invalid duration '1h'");
    expect(hours.stderr).not.toMatch(/^\s+at /m);
  });
});
