import { afterEach, describe, expect, it } from "vitest";
import { listTags, parseImageReference, RegistryError } from "../../src/registry/index.js";
import { type PaginationServer, startPaginationServer } from "../support/registry-pagination-server.js";

const tags = Array.from({ length: 2345 }, (_, i) => `t${String(i).padStart(5, "0")}`);
const opts = { dockerConfigDir: false as const, retry: { retries: 0 } };
let server: PaginationServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function list(style: Parameters<typeof startPaginationServer>[0]["style"], pageSize?: number) {
  server = await startPaginationServer({ repository: "org/app", tags, style });
  return listTags(parseImageReference(`${server.host}/org/app`), { ...opts, pageSize });
}

describe("tags/list pagination against a spec-following server", () => {
  it("follows relative Link headers until the last page", async () => {
    const res = await list("link", 1000);
    expect(res.tags).toEqual(tags);
    expect(server!.requests).toEqual(["?n=1000", "?n=1000&last=t00999", "?n=1000&last=t01999"]);
  });

  it("follows absolute Link headers on the same origin", async () => {
    const res = await list("link-absolute", 500);
    expect(res.tags).toEqual(tags);
    expect(server!.requests).toHaveLength(5);
  });

  it("continues with last= when a full page comes without Link (Nexus)", async () => {
    const res = await list("nexus", 1000);
    expect(res.tags).toEqual(tags);
    expect(server!.requests).toEqual(["?n=1000", "?n=1000&last=t00999", "?n=1000&last=t01999"]);
  });

  it("retries with n=100 when the page size is refused (Quay)", async () => {
    const res = await list("quay", 1000);
    expect(res.tags).toEqual(tags);
    expect(server!.requests[0]).toBe("?n=1000");
    expect(server!.requests[1]).toBe("?n=100");
    expect(server!.requests).toHaveLength(1 + 24);
  });

  it("refuses a Link to another origin instead of sending requests there", async () => {
    const err = await list("cross-origin", 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("bad-response");
    expect((err as Error).message).toContain("another origin");
  });

  it("removes duplicate tags across pages", async () => {
    server = await startPaginationServer({
      repository: "org/app",
      tags: [...tags, ...tags.slice(0, 10)],
      style: "link",
    });
    const res = await listTags(parseImageReference(`${server.host}/org/app`), opts);
    expect(res.tags).toHaveLength(tags.length);
  });
});
