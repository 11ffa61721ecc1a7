// The in-memory cache of minted cloud credentials (src/registry/cloud/cache.ts), on its own clock.
import { describe, expect, it } from "vitest";
import { CloudCredentialCache, type CloudCredentials } from "../../../src/registry/cloud/cache.js";

const HOUR = 3_600_000;

function rig(start = 1_000_000) {
  let now = start;
  let mints = 0;
  const cache = new CloudCredentialCache(() => now);
  const mint = (lifetimeMs: number) => async (): Promise<CloudCredentials> => {
    mints++;
    return { username: "u", password: `p${mints}`, expiresAt: now + lifetimeMs };
  };
  return {
    cache,
    mint,
    advance: (ms: number) => {
      now += ms;
    },
    mints: () => mints,
  };
}

describe("CloudCredentialCache", () => {
  it("shares one exchange between concurrent scans of a registry", async () => {
    const r = rig();
    const got = await Promise.all([1, 2, 3].map(() => r.cache.get("aws/reg", r.mint(12 * HOUR))));
    expect(got.map((c) => c.password)).toEqual(["p1", "p1", "p1"]);
    expect(r.mints()).toBe(1);
  });

  it("keeps a 12 h ECR token until 5 minutes before it expires", async () => {
    const r = rig();
    await r.cache.get("k", r.mint(12 * HOUR));
    r.advance(12 * HOUR - 5 * 60_000 - 1);
    expect((await r.cache.get("k", r.mint(12 * HOUR))).password).toBe("p1");
    r.advance(1);
    expect((await r.cache.get("k", r.mint(12 * HOUR))).password).toBe("p2");
  });

  it("keeps a 10 min token for 80% of its life and never one with under 30 s left", async () => {
    const r = rig();
    await r.cache.get("short", r.mint(10 * 60_000));
    r.advance(8 * 60_000 - 1);
    expect((await r.cache.get("short", r.mint(10 * 60_000))).password).toBe("p1");
    r.advance(1);
    expect((await r.cache.get("short", r.mint(10 * 60_000))).password).toBe("p2");
    await r.cache.get("dying", r.mint(29_000));
    await r.cache.get("dying", r.mint(29_000));
    expect(r.mints()).toBe(4);
  });

  it("does not keep a failed exchange, and forgets on request", async () => {
    const r = rig();
    const failing = async (): Promise<CloudCredentials> => {
      throw new Error("denied");
    };
    await expect(r.cache.get("k", failing)).rejects.toThrow("denied");
    expect((await r.cache.get("k", r.mint(HOUR))).password).toBe("p1");
    r.cache.forget("k");
    expect((await r.cache.get("k", r.mint(HOUR))).password).toBe("p2");
  });
});
