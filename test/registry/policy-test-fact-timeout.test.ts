import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// `policy test`'s global --timeout is the whole command's (Flux's meaning): the reads of the fact
// rules (--select-newest, --min-age, --verify) included, not only the tag listing. A registry
// that lists tags at once but is slow to answer for manifests must not hold it to the registry
// client's own default (60 s).
let registry: TestRegistry;
let proxy: FaultProxy;

beforeAll(async () => {
  registry = await startRegistry({ mode: "plain" });
  await registry.pushTags("facts/app", ["1.0.0", "1.1.0"]);
  proxy = await startFaultProxy(registry.url);
  proxy.always({ kind: "slow", delayMs: 30_000, match: /\/manifests\// });
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

describe("policy test --timeout with the fact rules", () => {
  it("gives up reading the images at --timeout, naming the flag", async () => {
    const t0 = Date.now();
    const r = await runCli([
      "policy",
      "test",
      "--image",
      `${proxy.host}/facts/app`,
      "--select-semver",
      "*",
      "--select-newest",
      "--timeout",
      "2s",
    ]);
    const ms = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not finish within \d+ ms \(--timeout\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Not the registry client's 60 s default, nor the proxy's 30 s delay: the flag ended it.
    expect(ms).toBeLessThan(20_000);
  }, 60_000);
});
