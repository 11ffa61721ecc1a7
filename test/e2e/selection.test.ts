import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContentPusher, contentPusher, cosignKeyPair } from "../support/image-content.js";
import { runImagectl } from "../support/imagectl-process.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

const H = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let registry: TestRegistry;
let pusher: ContentPusher;
let dir: string;
let keyFile: string;

const imagectl = (home: string, ...args: string[]) => runImagectl(home, args, { DOCKER_CONFIG: dir });

beforeAll(async () => {
  registry = await startRegistry({ mode: "plain" });
  pusher = contentPusher(registry.url, registry.host);
  dir = mkdtempSync(join(tmpdir(), "imagectl-e2e-selection-"));
  const key = cosignKeyPair();
  keyFile = join(dir, "cosign.pub");
  writeFileSync(keyFile, key.publicKeyPem);
  // Natural order would pick rc10, Flux's rc9; newest picks rc3 (pushed last); signed are rc9 and rc3;
  // min-age 24h rules out rc3.
  const rc9 = await pusher.pushImage("e2e/app", "1.0.0-rc9", { created: ago(60 * H), salt: "9" });
  await pusher.pushImage("e2e/app", "1.0.0-rc10", { created: ago(50 * H), salt: "10" });
  const rc3 = await pusher.pushImage("e2e/app", "1.0.0-rc3", { created: ago(1 * H), salt: "3" });
  const rc2 = await pusher.pushImage("e2e/app", "1.0.0-rc2", { created: ago(40 * H), salt: "2" });
  for (const d of [rc9, rc3, rc2]) await pusher.sign("e2e/app", d, key.privateKey);
});

afterAll(async () => {
  await pusher?.close();
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("selection extensions through the installed command", () => {
  it("create → get → export → apply into a fresh home selects the same tag", async () => {
    const a = join(dir, "a");
    const image = `${registry.host}/e2e/app`;
    expect((await imagectl(a, "create", "image", "repository", "app", "--image", image)).code).toBe(0);
    const cases: Array<[string, string[], string]> = [
      ["flux", [], "1.0.0-rc9"],
      ["natural", ["--prerelease-order", "natural"], "1.0.0-rc10"],
      ["newest", ["--select-newest"], "1.0.0-rc3"],
      [
        "signed-old",
        ["--select-newest", "--min-age", "24h", "--verify", "cosign", "--verify-key", keyFile],
        "1.0.0-rc2",
      ],
    ];
    for (const [name, flags, tag] of cases) {
      const created = await imagectl(
        a,
        "create",
        "image",
        "policy",
        name,
        "--image-ref",
        "app",
        "--select-semver",
        ">=1.0.0-0",
        ...flags,
      );
      expect(created.out).toContain(`selected ref ${image}:${tag}`);
      expect(created.code).toBe(0);
    }
    const repos = await imagectl(a, "export", "image", "repository", "--all");
    const exported = await imagectl(a, "export", "image", "policy", "--all");
    expect(exported.code).toBe(0);
    expect(exported.out).toContain("imagectl.io/prerelease-order: natural");
    expect(exported.out).toContain("imagectl.io/min-age: 24h");
    expect(exported.out).toContain("imagectl.io/verify-key: |");
    const file = join(dir, "all.yaml");
    writeFileSync(file, `${repos.out}${exported.out}`);
    const b = join(dir, "b");
    const applied = await imagectl(b, "apply", "-f", file);
    expect(applied.code).toBe(0);
    for (const [name, , tag] of cases) {
      const got = await imagectl(b, "get", "image", "policy", name, "-o", "json");
      expect(JSON.parse(got.out).status.latestRef.tag).toBe(tag);
    }
  });
});
