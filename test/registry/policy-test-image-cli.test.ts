import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";

let reg: TestRegistry;

beforeAll(async () => {
  reg = await startRegistry({ mode: "plain" });
  await reg.pushTags("cli/app", ["1.2.0", "1.10.0", "1.9.3", "2.0.0-rc.1", "sha256-x.sig"]);
});

afterAll(async () => {
  await reg?.stop();
});

describe("imagectl policy test --image", () => {
  it("selects from the live tags of a loopback registry", async () => {
    const res = await runCli(
      ["policy", "test", "--image", `${reg.host}/cli/app`, "--select-semver", ">=1.0.0", "-o", "json"],
      {
        env: { ...process.env, DOCKER_CONFIG: reg.dir },
      },
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { latest: string; counts: { read: number; excluded: number } };
    expect(out.latest).toBe("1.10.0");
    expect(out.counts).toMatchObject({ read: 5, excluded: 1 });
  });

  it("exits 1 with a message naming the image when the registry is unreachable", async () => {
    const image = `127.0.0.1:${await freePort()}/cli/app`;
    const res = await runCli(["policy", "test", "--image", image, "--select-alpha", "asc"], {
      env: { ...process.env, DOCKER_CONFIG: reg.dir },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(image);
    expect(res.stderr).toContain("cannot reach");
  });

  it("exits 2 when --image has a tag", async () => {
    const res = await runCli([
      "policy",
      "test",
      "--image",
      `${reg.host}/cli/app:1.0`,
      "--select-alpha",
      "asc",
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--image");
    expect(res.stderr).toContain("should not include a tag");
  });
});
