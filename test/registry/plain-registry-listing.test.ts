import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchDigest, listTags, parseImageReference, RegistryError } from "../../src/registry/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

let reg: TestRegistry;
const opts = { dockerConfigDir: false as const, retry: { retries: 0 } };

beforeAll(async () => {
  reg = await startRegistry({ mode: "plain" });
  await reg.pushTags("demo/app", ["v1.0.0", "v1.1.0", "v2.0.0-rc.1", "sha256-abc.sig", "latest"]);
});

afterAll(async () => {
  await reg?.stop();
});

describe("listing tags from Debian's docker-registry over plain HTTP", () => {
  it("lists every tag, .sig tags too (exclusion is the reconciler's)", async () => {
    const res = await listTags(parseImageReference(`${reg.host}/demo/app`), opts);
    expect(res.tags.sort()).toEqual(["latest", "sha256-abc.sig", "v1.0.0", "v1.1.0", "v2.0.0-rc.1"]);
    // The first scan of a loopback host probes HTTPS once; later scans know it is plain HTTP.
    expect(res.requests).toBeLessThanOrEqual(2);
    const again = await listTags(parseImageReference(`${reg.host}/demo/app`), opts);
    expect(again.requests).toBe(1);
  });

  it("reads thousands of tags seeded on the filesystem", async () => {
    const tags = Array.from({ length: 5000 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    await reg.seedTags("many/tags", tags);
    const res = await listTags(parseImageReference(`${reg.host}/many/tags`), opts);
    expect(res.tags.length).toBe(5000);
    expect(new Set(res.tags)).toEqual(new Set(tags));
  });

  it("classifies an unknown repository as not-found and names the image", async () => {
    const image = `${reg.host}/no/such`;
    const err = await listTags(parseImageReference(image), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("not-found");
    expect((err as RegistryError).image).toBe(image);
    expect((err as Error).message).toContain(image);
    expect((err as Error).message).toContain("NAME_UNKNOWN");
  });

  it("classifies a closed port as unreachable", async () => {
    const { freePort } = await import("../support/registry.js");
    const port = await freePort();
    const err = await listTags(parseImageReference(`127.0.0.1:${port}/x/y`), {
      ...opts,
      retry: { retries: 1, baseDelayMs: 1 },
    }).catch((e: unknown) => e);
    expect((err as RegistryError).kind).toBe("unreachable");
    expect((err as Error).message).toContain("ECONNREFUSED");
  });
});

describe("digest lookup", () => {
  it("returns the index digest of a multi-arch image, not a child's", async () => {
    const pushed = await reg.pushIndex("multi/app", "1.0.0");
    const digest = await fetchDigest(parseImageReference(`${reg.host}/multi/app`), "1.0.0", opts);
    expect(digest).toBe(pushed.digest);
    expect(pushed.children).not.toContain(digest);
  });

  it("returns the manifest digest of a single image", async () => {
    const pushed = await reg.pushTags("single/app", ["v1"]);
    expect(await fetchDigest(parseImageReference(`${reg.host}/single/app`), "v1", opts)).toBe(pushed);
  });

  it("reports a missing tag as not-found", async () => {
    const err = await fetchDigest(parseImageReference(`${reg.host}/single/app`), "nope", opts).catch(
      (e: unknown) => e,
    );
    expect((err as RegistryError).kind).toBe("not-found");
    expect((err as Error).message).toContain('"nope"');
  });
});
