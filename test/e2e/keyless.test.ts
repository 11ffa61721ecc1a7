/**
 * Keyless verification through the installed command (the built bundle): `policy test` with a
 * trusted root file, and `create secret generic` + `create image policy` + `run --once` with the
 * root in a secret, against the real registry and a private Sigstore made in the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContentPusher, contentPusher } from "../support/image-content.js";
import { runImagectl } from "../support/imagectl-process.js";
import { type PrivateSigstore, privateSigstore } from "../support/private-sigstore.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

const SAN = "release@example.com";
const ISSUER = "https://issuer.example";

let registry: TestRegistry;
let pusher: ContentPusher;
let sigstore: PrivateSigstore;
let dir: string;
let rootFile: string;
let image: string;

const imagectl = (home: string, ...args: string[]) => runImagectl(home, args, { DOCKER_CONFIG: dir });

beforeAll(async () => {
  registry = await startRegistry({ mode: "plain" });
  pusher = contentPusher(registry.url, registry.host);
  sigstore = privateSigstore();
  dir = mkdtempSync(join(tmpdir(), "imagectl-e2e-keyless-"));
  rootFile = join(dir, "trusted_root.json");
  writeFileSync(rootFile, sigstore.trustedRoot());
  image = `${registry.host}/e2e/keyless`;
  const good = () => sigstore.leaf({ san: `email:${SAN}`, issuer: ISSUER });
  const d1 = await pusher.pushImage("e2e/keyless", "1.0.0", { salt: "k1" });
  const d2 = await pusher.pushImage("e2e/keyless", "1.1.0", { salt: "k2" });
  const d3 = await pusher.pushImage("e2e/keyless", "1.2.0", { salt: "k3" });
  await pusher.pushImage("e2e/keyless", "1.3.0", { salt: "k4" }); // unsigned
  await pusher.signWith("e2e/keyless", d1, (s) => sigstore.cosignLayer(s, good()));
  await pusher.attachBundle("e2e/keyless", d2, sigstore.bundle(d2, good()));
  const other = sigstore.leaf({ san: "email:intruder@example.com", issuer: ISSUER });
  await pusher.signWith("e2e/keyless", d3, (s) => sigstore.cosignLayer(s, other));
});

afterAll(async () => {
  sigstore?.close();
  await pusher?.close();
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("keyless verification through the installed command", () => {
  const keyless = ["--verify", "cosign", "--verify-identity", SAN, "--verify-issuer", ISSUER];
  /** `imagectl policy test` over every tag of the test image, then ARGS. */
  const policyTest = (home: string, ...args: string[]) =>
    imagectl(home, "policy", "test", "--image", image, "--select-semver", "*", ...args);

  it("policy test explains every verdict with a trusted root file", async () => {
    const home = join(dir, "pt");
    const res = await policyTest(home, ...keyless, "--trusted-root", rootFile);
    expect(res.out.split("\n")[0]).toBe("1.1.0");
    expect(res.out).toContain("1.3.0  -                     unverified: no signature");
    expect(res.out).toContain(
      "1.2.0  -                     unverified: wrong identity: certificate SAN 'intruder@example.com', wanted 'release@example.com'",
    );
    expect(res.out).toMatch(/1\.1\.0 +- +selected/);
    expect(res.code).toBe(0);

    // The shipped public-good root does not trust this private CA: nothing is selected.
    const publicGood = await policyTest(home, ...keyless);
    expect(publicGood.out).toMatch(/1\.1\.0 +- +unverified: untrusted: certificate/);
    expect(publicGood.code).not.toBe(0);
  });

  it("bad flags and a bad root file name themselves, with no stack trace", async () => {
    const home = join(dir, "bad");
    const noIssuer = await policyTest(home, "--verify", "cosign", "--verify-identity", SAN);
    expect(noIssuer.out).toContain(
      "--verify-issuer: keyless verification needs the certificate's OIDC issuer",
    );
    const badRe = await policyTest(
      home,
      "--verify",
      "cosign",
      "--verify-identity-regexp",
      "(?<=x)",
      "--verify-issuer",
      ISSUER,
    );
    expect(badRe.out).toContain(
      "--verify-identity-regexp: failed to compile regex '(?<=x)': error parsing regexp",
    );
    const junk = join(dir, "junk.json");
    writeFileSync(junk, "{ not json");
    const badRoot = await policyTest(home, ...keyless, "--trusted-root", junk);
    expect(badRoot.out).toContain(`--trusted-root '${junk}': trusted root is not valid JSON`);
    const missing = await policyTest(home, ...keyless, "--trusted-root", join(dir, "none.json"));
    expect(missing.out).toContain("--trusted-root: cannot read");
    for (const r of [noIssuer, badRe, badRoot, missing]) {
      expect(r.code).not.toBe(0);
      expect(r.out).not.toMatch(/\n\s+at /);
    }
  });

  it("a stored policy with the root in a secret selects through create and run --once", async () => {
    const home = join(dir, "stored");
    expect(
      (
        await imagectl(
          home,
          "create",
          "secret",
          "generic",
          "sigstore-root",
          "--from-file",
          `trusted_root.json=${rootFile}`,
        )
      ).code,
    ).toBe(0);
    expect((await imagectl(home, "create", "image", "repository", "app", "--image", image)).code).toBe(0);
    const created = await imagectl(
      home,
      "create",
      "image",
      "policy",
      "app",
      "--image-ref",
      "app",
      "--select-semver",
      "*",
      ...keyless,
      "--verify-trusted-root-secret-ref",
      "sigstore-root",
    );
    expect(created.out).toContain(`selected ref ${image}:1.1.0`);
    expect(created.code).toBe(0);
    const exported = await imagectl(home, "export", "image", "policy", "app");
    expect(exported.out).toContain(`imagectl.io/verify-identity: ${SAN}`);
    expect(exported.out).toContain("imagectl.io/verify-trusted-root-secret-ref: sigstore-root");
    const run = await imagectl(home, "run", "--once");
    expect(run.code).toBe(0);
  });
});
