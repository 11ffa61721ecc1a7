import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type ContentPusher, contentPusher, cosignKeyPair } from "../support/image-content.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

const H = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let reg: TestRegistry;
let pusher: ContentPusher;
let dir: string;
let keyFile: string;
let otherKeyFile: string;

beforeAll(async () => {
  reg = await startRegistry({ mode: "plain" });
  pusher = contentPusher(reg.url, reg.host);
  dir = mkdtempSync(join(tmpdir(), "imagectl-ptsel-"));
  const key = cosignKeyPair();
  const other = cosignKeyPair();
  keyFile = join(dir, "cosign.pub");
  otherKeyFile = join(dir, "other.pub");
  writeFileSync(keyFile, key.publicKeyPem);
  writeFileSync(otherKeyFile, other.publicKeyPem);
  await pusher.pushImage("sel/app", "1.0.0-rc9", { created: ago(50 * H), salt: "rc9" });
  await pusher.pushImage("sel/app", "1.0.0-rc10", { created: ago(40 * H), salt: "rc10" });
  await pusher.pushImage("sel/app", "1.1.0", { created: ago(30 * H), salt: "110" });
  await pusher.pushImage("sel/app", "1.2.0", { created: ago(2 * H), salt: "120" });
  const signed = await pusher.pushImage("sig/app", "1.0.0", { salt: "s1" });
  const wrong = await pusher.pushImage("sig/app", "1.1.0", { salt: "s2" });
  const copied = await pusher.pushImage("sig/app", "1.2.0", { salt: "s3" });
  await pusher.pushImage("sig/app", "1.3.0", { salt: "s4" });
  await pusher.sign("sig/app", signed, key.privateKey);
  await pusher.sign("sig/app", wrong, other.privateKey);
  await pusher.sign("sig/app", copied, key.privateKey, { payloadDigest: signed });
});

afterAll(async () => {
  await pusher?.close();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, DOCKER_CONFIG: dir });
/** `imagectl policy test ARGS`. */
const policyTest = (args: string[], opts?: Parameters<typeof runCli>[1]) =>
  runCli(["policy", "test", ...args], opts);
/** `imagectl policy test --image HOST/REPO ARGS`, as the registry's client (DOCKER_CONFIG). */
const testImage = (repo: string, args: string[]) =>
  policyTest(["--image", `${reg.host}/${repo}`, ...args], { env: env() });
/** `imagectl create image policy app --image-ref app ARGS --export`. */
const exportPolicy = (args: string[]) =>
  runCli(["create", "image", "policy", "app", "--image-ref", "app", ...args, "--export"]);

describe("imagectl policy test: selection extensions", () => {
  it("--prerelease-order natural ranks rc10 above rc9 (tags file; Flux order stays the default)", async () => {
    const tags = "1.0.0-rc9\n1.0.0-rc10\n1.0.0-rc2\n";
    const flux = await policyTest(["--tags-file", "-", "--select-semver", ">=1.0.0-0"], { stdin: tags });
    expect(flux.stdout.split("\n")[0]).toBe("1.0.0-rc9");
    const natural = await policyTest(
      ["--tags-file", "-", "--select-semver", ">=1.0.0-0", "--prerelease-order", "natural"],
      { stdin: tags },
    );
    expect(natural.stdout.split("\n")[0]).toBe("1.0.0-rc10");
    const bad = await policyTest(
      ["--tags-file", "-", "--select-alpha", "asc", "--prerelease-order", "natural"],
      { stdin: tags },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--prerelease-order: natural pre-release order needs a semver policy");
  });

  it("--min-age explains which tags wait and until when", async () => {
    const res = await testImage("sel/app", ["--select-semver", ">=1.0.0", "--min-age", "24h"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const lines = res.stdout.split("\n");
    expect(lines[0]).toBe("1.1.0");
    expect(res.stdout).toMatch(/1\s+1\.2\.0\s+\S+Z\s+waits until \S+Z \(minimum age\)/);
    expect(res.stdout).toMatch(/2\s+1\.1\.0\s+\S+Z\s+selected/);
  });

  it("--select-newest picks the image created last, in JSON with created times and verdicts", async () => {
    const res = await testImage("sel/app", [
      "--select-semver",
      "<1.2.0-0 || >=1.0.0-0 <1.1.0",
      "--select-newest",
      "-o",
      "json",
    ]);
    expect(res.stderr).toBe("");
    const out = JSON.parse(res.stdout) as { latest: string; candidates: { tag: string; verdict: string }[] };
    expect(out.latest).toBe("1.1.0");
    expect(out.candidates.map((c) => c.tag)).toEqual(["1.1.0", "1.0.0-rc10", "1.0.0-rc9"]);
    expect(out.candidates[0]?.verdict).toBe("selected");
  });

  it("--verify cosign: unverified tags are listed with the reason", async () => {
    const res = await testImage("sig/app", [
      "--select-semver",
      "*",
      "--verify",
      "cosign",
      "--verify-key",
      keyFile,
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout.split("\n")[0]).toBe("1.0.0");
    expect(res.stdout).toMatch(/1\.3\.0\s+-\s+unverified: no signature/);
    expect(res.stdout).toMatch(
      /1\.2\.0\s+-\s+unverified: bad signature: payload names sha256:[0-9a-f]{64}, not this digest/,
    );
    expect(res.stdout).toMatch(/1\.1\.0\s+-\s+unverified: wrong key/);
    expect(res.stdout).toMatch(/1\.0\.0\s+-\s+selected/);

    const none = await testImage("sig/app", [
      "--select-semver",
      "~1.2",
      "--verify",
      "cosign",
      "--verify-key",
      otherKeyFile,
    ]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain("no tag selected");
    expect(none.stderr).toContain("no candidate passed the selection rules");
  });

  it("flag errors name the flag (exit 2)", async () => {
    const noImage = await policyTest(["--tags-file", "-", "--select-semver", "*", "--min-age", "1h"], {
      stdin: "1.0.0\n",
    });
    // Flag errors come before any registry call: no client configuration needed.
    const selApp = ["--image", `${reg.host}/sel/app`, "--select-semver", "*"];
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain("need --image");
    const badAge = await policyTest([...selApp, "--min-age", "1 day"]);
    expect(badAge.code).toBe(2);
    expect(badAge.stderr).toContain('--min-age: invalid duration "1 day"');
    const noKey = await policyTest([...selApp, "--verify", "cosign"]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("--verify: cosign verification needs");
    const missing = await policyTest([
      ...selApp,
      "--verify",
      "cosign",
      "--verify-key",
      join(dir, "nope.pub"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--verify-key: cannot read");
    expect(missing.stderr).toContain("ENOENT");
  });
});

describe("imagectl create image policy: selection flags become annotations", () => {
  it("--export writes a Flux-valid ImagePolicy with imagectl's annotations", async () => {
    const res = await exportPolicy([
      "--select-semver",
      ">=1.0.0-0",
      "--prerelease-order",
      "natural",
      "--select-newest",
      "--min-age",
      "24h",
      "--verify",
      "cosign",
      "--verify-secret-ref",
      "cosign-keys",
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("imagectl.io/prerelease-order: natural");
    expect(res.stdout).toContain("imagectl.io/select: newest");
    expect(res.stdout).toContain("imagectl.io/min-age: 24h");
    expect(res.stdout).toContain("imagectl.io/verify: cosign");
    expect(res.stdout).toContain("imagectl.io/verify-secret-ref: cosign-keys");
    expect(res.stdout).toContain("semver:\n      range: '>=1.0.0-0'");
  });

  it("a bad value names the flag", async () => {
    const res = await exportPolicy(["--select-alpha", "asc", "--prerelease-order", "natural"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--prerelease-order");
    expect(res.stderr).toContain("needs a semver policy");
  });
});
