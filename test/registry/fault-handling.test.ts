import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchDigest, listTags, parseImageReference, RegistryError } from "../../src/registry/index.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

let reg: TestRegistry;
let proxy: FaultProxy;
// Tiny delays so retries cost milliseconds; Retry-After capped for the same reason.
const fast = {
  dockerConfigDir: false as const,
  retry: { retries: 3, baseDelayMs: 2, maxDelayMs: 20, retryAfterCapMs: 30 },
};
const image = (): ReturnType<typeof parseImageReference> => parseImageReference(`${proxy.host}/faulty/app`);

beforeAll(async () => {
  reg = await startRegistry({ mode: "plain" });
  await reg.pushTags("faulty/app", ["a", "b", "c"]);
  proxy = await startFaultProxy(reg.url);
  // Let the first scan's HTTPS probe settle the scheme so fault queues hit tags/list requests.
  await listTags(image(), fast);
});

afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
});

describe("transient faults between the client and a real registry", () => {
  it("waits out 429 with Retry-After (seconds and HTTP date) and then succeeds", async () => {
    proxy.inject(
      { kind: "status", status: 429, retryAfter: "1" },
      { kind: "status", status: 429, retryAfter: new Date(Date.now() + 1000).toUTCString() },
    );
    const res = await listTags(image(), fast);
    expect(res.tags.sort()).toEqual(["a", "b", "c"]);
    expect(res.requests).toBe(3);
  });

  it("retries 500/502/503 with backoff", async () => {
    proxy.inject(
      { kind: "status", status: 500 },
      { kind: "status", status: 502 },
      { kind: "status", status: 503 },
    );
    const res = await listTags(image(), fast);
    expect(res.tags).toHaveLength(3);
    expect(res.requests).toBe(4);
  });

  it("retries connection resets and truncated bodies", async () => {
    proxy.inject({ kind: "reset" }, { kind: "truncate" });
    const res = await listTags(image(), fast);
    expect(res.tags).toHaveLength(3);
    expect(res.requests).toBe(3);
  });

  it("gives up after the retry budget with a classified error", async () => {
    proxy.inject(
      ...Array.from({ length: 4 }, () => ({ kind: "status" as const, status: 429, retryAfter: "0" })),
    );
    const err = await listTags(image(), fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("rate-limited");
    expect((err as Error).message).toContain(`${proxy.host}/faulty/app`);

    proxy.inject(...Array.from({ length: 4 }, () => ({ kind: "status" as const, status: 503 })));
    const err2 = await listTags(image(), fast).catch((e: unknown) => e);
    expect((err2 as RegistryError).kind).toBe("unreachable");

    proxy.inject(...Array.from({ length: 4 }, () => ({ kind: "reset" as const })));
    const err3 = await listTags(image(), fast).catch((e: unknown) => e);
    expect((err3 as RegistryError).kind).toBe("unreachable");
    expect((err3 as Error).message).toContain("after 4 attempts");
  });

  it("stops a slow scan at the overall timeout", async () => {
    proxy.inject({ kind: "slow", delayMs: 2000 });
    const err = await listTags(image(), { ...fast, timeoutMs: 200 }).catch((e: unknown) => e);
    expect((err as RegistryError).kind).toBe("timeout");
    expect((err as Error).message).toContain("200 ms");
  });

  it("retries a 5xx on the digest HEAD too", async () => {
    proxy.inject({ kind: "status", status: 502 });
    expect(await fetchDigest(image(), "a", fast)).toMatch(/^sha256:/);
  });
});
