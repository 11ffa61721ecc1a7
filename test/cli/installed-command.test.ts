// The installed command end to end: bin/imagectl (shell launcher) → dist/cli/launcher/launch.cjs →
// bundle + V8 code cache. Needs `npm run build` (scripts/test.sh runs it first).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertFreshBuild } from "../support/imagectl-process.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/imagectl");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

let dir: string;
let plain: TestRegistry;
let secure: TestRegistry;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function imagectl(args: string[], env: NodeJS.ProcessEnv = {}, bin = BIN): Run {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: join(dir, "cache") };
  delete base.NODE_EXTRA_CA_CERTS;
  delete base.IMAGECTL_TRACE_STARTUP;
  const r = spawnSync(bin, args, { env: { ...base, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  assertFreshBuild();
  dir = mkdtempSync(join(tmpdir(), "imagectl-installed-"));
  [plain, secure] = await Promise.all([
    startRegistry({ mode: "plain" }),
    startRegistry({ mode: "tls-htpasswd" }),
  ]);
  await Promise.all([
    plain.pushTags("app/web", ["1.0.0", "1.2.0", "1.10.0", "v-old"]),
    secure.pushTags("secure/app", ["1.0.0", "1.1.0"]),
  ]);
});

afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("bin/imagectl", () => {
  it("runs through an npm-style symlink (node_modules/.bin) and prints the version", () => {
    const link = join(dir, "link-bin", "imagectl");
    mkdirSync(join(dir, "link-bin"));
    symlinkSync(BIN, link);
    const r = imagectl(["--version"], {}, link);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it("says how to build when the checkout has no dist/", () => {
    const unbuilt = join(dir, "unbuilt", "bin");
    mkdirSync(unbuilt, { recursive: true });
    writeFileSync(join(unbuilt, "imagectl"), readFileSync(BIN));
    chmodSync(join(unbuilt, "imagectl"), 0o755);
    const r = imagectl(["--version"], {}, join(unbuilt, "imagectl"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not built: run `npm run build`");
  });

  it("keeps the exit codes: 2 for bad usage, 1 for an unreachable registry", async () => {
    const usage = imagectl(["policy", "test", "--image", `${plain.host}/app/web`]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--select-semver, --select-numeric or --select-alpha");
    const image = `127.0.0.1:${await freePort()}/app/web`;
    const down = imagectl(["policy", "test", "--image", image, "--select-alpha", "asc"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(image);
    const unknown = imagectl(["frobnicate"]);
    expect(unknown.code).toBe(2);
  });

  it("selects from a live registry exactly as the in-process CLI does", () => {
    const r = imagectl(
      ["policy", "test", "--image", `${plain.host}/app/web`, "--select-semver", ">=1.0.0", "-o", "json"],
      { DOCKER_CONFIG: plain.dir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { latest: string; counts: { read: number; selectable: number } };
    expect(out.latest).toBe("1.10.0");
    expect(out.counts).toMatchObject({ read: 4, selectable: 3 });
  });
});

describe("code cache", () => {
  const cacheDir = (): string => join(dir, "cache", "imagectl");

  it("is written by the first run of a route and read by the next", () => {
    rmSync(join(dir, "cache"), { recursive: true, force: true });
    const first = imagectl(["--version"], { IMAGECTL_TRACE_STARTUP: "1" });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("code cache miss");
    expect(first.stderr).toContain("code cache written");
    const files = readdirSync(cacheDir());
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cli-node.*\.v8cache$/);
    // Executable bytecode: private to the user.
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir(), files[0] as string)).mode & 0o777).toBe(0o600);

    const second = imagectl(["--version"], { IMAGECTL_TRACE_STARTUP: "1" });
    expect(second.stderr).toContain("code cache hit");
    expect(second.stdout).toBe(first.stdout);

    // `policy test` has a bundle and a cache of its own.
    const pt = imagectl(["policy", "test", "--tags-file", "-", "--select-alpha", "asc"], {
      IMAGECTL_TRACE_STARTUP: "1",
    });
    expect(pt.stderr).toContain("code cache miss");
    expect(readdirSync(cacheDir()).some((f) => f.startsWith("policy-test-node"))).toBe(true);
  });

  it("is read back after a command that turned on V8's linear regexp engine for a pattern", () => {
    rmSync(join(dir, "cache"), { recursive: true, force: true });
    const file = join(dir, "ci-tags.txt");
    writeFileSync(file, "main-abc1234-1\nmain-def5678-2\n");
    const pattern = ["--filter-regex", "^main-[a-f0-9]+-(?P<ts>[0-9]+)", "--filter-extract", "$ts"];
    const policyTest = ["policy", "test", "--tags-file", file, ...pattern, "--select-numeric", "asc"];
    // Both bundles: `policy test` alone, and behind a global option (the full CLI).
    for (const args of [policyTest, ["-n", "ns", ...policyTest]]) {
      const first = imagectl(args, { IMAGECTL_TRACE_STARTUP: "1" });
      expect(first.code).toBe(0);
      expect(first.stderr).toContain("code cache written");
      const second = imagectl(args, { IMAGECTL_TRACE_STARTUP: "1" });
      expect(second.stderr).toContain("code cache hit");
      expect(second.stdout).toBe(first.stdout);
      expect(second.stdout).toContain("main-def5678-2");
    }
  });

  it("keeps `policy test --image` (raised V8 budget) and other `policy test` runs apart, each read back", () => {
    rmSync(join(dir, "cache"), { recursive: true, force: true });
    const image = ["policy", "test", "--image", `${plain.host}/app/web`, "--select-semver", ">=1.0.0"];
    const file = join(dir, "tags.txt");
    writeFileSync(file, "1.0.0\n1.2.0\n");
    const tags = ["policy", "test", "--tags-file", file, "--select-semver", ">=1.0.0"];
    const env = { DOCKER_CONFIG: plain.dir, IMAGECTL_TRACE_STARTUP: "1" };
    const tuned = process.versions.v8.startsWith("11.3.");

    const first = imagectl(image, env);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("code cache written");
    expect(first.stderr.includes("V8 interrupt budget raised")).toBe(tuned);
    const fromFile = imagectl(tags, env);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).not.toContain("V8 interrupt budget");
    expect(fromFile.stderr).toContain(tuned ? "code cache miss" : "code cache hit");
    // V8 puts its flags in a cache: sharing one file, the two kinds of run would reject each
    // other's cache on every start.
    const again = imagectl(image, env);
    expect(again.stderr).toContain("code cache hit");
    expect(again.stdout).toBe(first.stdout);
    expect(imagectl(tags, env).stderr).toContain("code cache hit");
    expect(readdirSync(cacheDir()).filter((f) => f.startsWith("policy-test")).length).toBe(tuned ? 2 : 1);
    expect(imagectl(["--version"], { IMAGECTL_TRACE_STARTUP: "1" }).stderr).not.toContain(
      "V8 interrupt budget",
    );
  });

  it("survives a corrupt cache file: rejected, rewritten, same output", () => {
    const before = imagectl(["--version"]);
    const file = readdirSync(cacheDir()).find((f) => f.startsWith("cli-node")) as string;
    const size = statSync(join(cacheDir(), file)).size;
    writeFileSync(join(cacheDir(), file), Buffer.alloc(size, 0x5a));
    const r = imagectl(["--version"], { IMAGECTL_TRACE_STARTUP: "1" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(before.stdout);
    expect(r.stderr).toContain("code cache rejected");
    expect(imagectl(["--version"], { IMAGECTL_TRACE_STARTUP: "1" }).stderr).toContain("code cache hit");
  });

  it("removes the caches of earlier builds of the same route when it writes a new one", () => {
    const home = join(dir, "litter");
    const caches = join(home, "imagectl");
    mkdirSync(caches, { recursive: true });
    writeFileSync(join(caches, "cli-nodev0.0.1-linux-x64-1-2-3.v8cache"), "old build");
    writeFileSync(join(caches, "policy-test-nodev0.0.1-linux-x64-1-2-3.v8cache"), "other route");
    const r = imagectl(["--version"], { XDG_CACHE_HOME: home, IMAGECTL_TRACE_STARTUP: "1" });
    expect(r.stderr).toContain("code cache written");
    const left = readdirSync(caches).sort();
    expect(left).toHaveLength(2);
    expect(left[0]).toMatch(/^cli-node/);
    expect(left[0]).not.toContain("v0.0.1");
    expect(left[1]).toBe("policy-test-nodev0.0.1-linux-x64-1-2-3.v8cache");
  });

  it("is off with IMAGECTL_NO_COMPILE_CACHE", () => {
    const home = join(dir, "nocache");
    const r = imagectl(["--version"], {
      IMAGECTL_NO_COMPILE_CACHE: "1",
      IMAGECTL_TRACE_STARTUP: "1",
      XDG_CACHE_HOME: home,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("code cache off");
    expect(existsSync(home)).toBe(false);
  });
});

describe("NODE_EXTRA_CA_CERTS through the launcher", () => {
  function dockerConfigWithHelper(record: string): string {
    const bin = join(dir, "helper-bin");
    mkdirSync(bin, { recursive: true });
    const helper = join(bin, "docker-credential-envcheck");
    // Records what a credential helper (a child process) sees, then answers the credentials.
    writeFileSync(
      helper,
      `#!/bin/sh\nread url\nprintf '%s|%s' "\${NODE_EXTRA_CA_CERTS-unset}" "\${IMAGECTL_DEFERRED_EXTRA_CA_CERTS-unset}" > ${record}\n` +
        `printf '{"ServerURL":"%s","Username":"${secure.username}","Secret":"${secure.password}"}' "$url"\n`,
    );
    chmodSync(helper, 0o755);
    const cfg = join(dir, "docker-helper");
    mkdirSync(cfg, { recursive: true });
    writeFileSync(join(cfg, "config.json"), JSON.stringify({ credHelpers: { [secure.host]: "envcheck" } }));
    return cfg;
  }

  it("trusts a private CA given only in NODE_EXTRA_CA_CERTS; child processes see the variable unchanged", () => {
    const record = join(dir, "helper-env.txt");
    const cfg = dockerConfigWithHelper(record);
    const path = `${join(dir, "helper-bin")}:${process.env.PATH}`;
    const args = [
      "policy",
      "test",
      "--image",
      `${secure.host}/secure/app`,
      "--select-alpha",
      "asc",
      "-o",
      "json",
    ];

    const trusted = imagectl(args, {
      NODE_EXTRA_CA_CERTS: secure.caPath,
      DOCKER_CONFIG: cfg,
      PATH: path,
    });
    expect(trusted.stderr).toBe("");
    expect(trusted.code).toBe(0);
    expect((JSON.parse(trusted.stdout) as { latest: string }).latest).toBe("1.1.0");
    expect(readFileSync(record, "utf8")).toBe(`${secure.caPath}|unset`);

    const untrusted = imagectl(args, { DOCKER_CONFIG: cfg, PATH: path });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain("not trusted");
    expect(untrusted.stderr).not.toContain(secure.password);
  });
});
