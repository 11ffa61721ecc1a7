import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "imagectl-policy-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tagsFile(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const TAGS = tagsFile(
  "tags.txt",
  [
    "main-abc1234-1700000100",
    "main-def5678-1700000300\r",
    "",
    "v1.2.3",
    "v1.3.0-rc.1",
    "feature-x-1",
    "main-0000000-1700000200",
    "v1.2.4.sig",
    "   ",
  ].join("\n"),
);

describe("imagectl policy test", () => {
  it("selects with a numerical policy, filter and extract, and explains why (text)", async () => {
    const r = await runCli([
      "policy",
      "test",
      "--tags-file",
      TAGS,
      "--select-numeric=asc",
      "--filter-regex",
      "^main-[a-f0-9]+-(?P<ts>[0-9]+)",
      "--filter-extract",
      "$ts",
      "--top",
      "2",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("main-def5678-1700000300");
    expect(r.stdout).toMatch(/tags read:\s+7/);
    expect(r.stdout).toMatch(/excluded:\s+1/);
    expect(r.stdout).toMatch(/matched filter:\s+3/);
    expect(r.stdout).toMatch(
      /1\s+main-def5678-1700000300\s+1700000300\n\s+2\s+main-0000000-1700000200\s+1700000200\n/,
    );
  });

  it("prints JSON with latest, candidates best first and counts", async () => {
    const r = await runCli([
      "policy",
      "test",
      "--tags-file",
      TAGS,
      "--select-semver",
      ">=1.0.0-0",
      "-o",
      "json",
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      latest: string;
      candidates: { tag: string }[];
      counts: { rejected: { notSemver: number } };
    };
    expect(out.latest).toBe("v1.3.0-rc.1");
    expect(out.candidates.map((c) => c.tag)).toEqual(["v1.3.0-rc.1", "v1.2.3"]);
    expect(out.counts.rejected.notSemver).toBe(4);
  });

  it("reads tags from stdin with --tags-file -", async () => {
    const r = await runCli(["policy", "test", "--tags-file", "-", "--select-alpha", "desc"], {
      stdin: "b\na\nc\n",
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("a");
  });

  it("an explicit --exclusion-list replaces the default", async () => {
    const r = await runCli([
      "policy",
      "test",
      "--tags-file",
      TAGS,
      "--select-alpha",
      "asc",
      "--exclusion-list",
      "^main-",
      "--exclusion-list",
      "^v",
      "-o",
      "json",
    ]);
    expect(JSON.parse(r.stdout).latest).toBe("feature-x-1");
  });

  it("exits 1 with Flux's reason when nothing can be selected", async () => {
    const r = await runCli(["policy", "test", "--tags-file", TAGS, "--select-semver", ">=5.0.0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unable to determine latest version from provided list");
    expect(r.stdout).toMatch(/rejected:\s+4 not semver, 2 out of range/);
    const j = await runCli(["policy", "test", "--tags-file", TAGS, "--select-numeric", "asc", "-o", "json"]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).latest).toBeNull();
    expect(j.stderr).toContain("failed to parse invalid numeric value");
  });

  const usage: [string[], string][] = [
    [
      ["--select-numeric", "asc", "--filter-regex", "(a)\\1"],
      "--filter-regex: invalid regular expression pattern '(a)\\1'",
    ],
    [
      ["--select-numeric", "asc", "--filter-regex", "(?P<a>x)", "--filter-extract", "$b"],
      "--filter-extract:",
    ],
    [["--select-numeric", "asc", "--filter-extract", "$1"], "--filter-extract: needs --filter-regex"],
    [["--select-semver", "latest"], "--select-semver: semver parse error: improper constraint: latest"],
    [["--select-numeric", "up"], "--select-numeric: invalid order 'up'"],
    [["--select-alpha", "asc", "--select-numeric", "asc"], "only one policy may be given"],
    [[], "one of --select-semver, --select-numeric or --select-alpha is required"],
    [["--select-alpha", "asc", "--exclusion-list", "[="], "--exclusion-list #1: failed to compile regex"],
    [["--select-alpha", "asc", "--top", "-1"], "--top:"],
    [["--select-alpha", "asc", "-o", "yaml"], "--output: unknown format 'yaml'"],
  ];
  for (const [args, message] of usage) {
    it(`exits 2 for ${args.join(" ") || "no policy"}`, async () => {
      const r = await runCli(["policy", "test", "--tags-file", TAGS, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it("exits 2 for a missing tags file", async () => {
    const r = await runCli(["policy", "test", "--tags-file", join(dir, "nope.txt"), "--select-alpha", "asc"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--tags-file: cannot read");
  });
});
