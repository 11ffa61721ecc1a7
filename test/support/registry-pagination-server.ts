import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * How the fake paginates tags/list:
 * - `link`: distribution v3 / OCI spec (n, last, relative `Link`);
 * - `link-absolute`: same with an absolute `Link` URL;
 * - `nexus`: honours n and last but never sends `Link`;
 * - `quay`: like `link`, but answers 400 for n > 100;
 * - `cross-origin`: `Link` to another host (must be refused).
 */
export type PaginationStyle = "link" | "link-absolute" | "nexus" | "quay" | "cross-origin";

export interface PaginationServer {
  host: string;
  /** Query strings of every tags/list request, in order. */
  requests: string[];
  stop(): Promise<void>;
}

/**
 * A small spec-following tags/list server: Debian's registry 2.8 ignores `n` and returns
 * everything at once, so pagination is tested against this instead.
 */
export async function startPaginationServer(opts: {
  repository: string;
  tags: readonly string[];
  style: PaginationStyle;
  /** Page size when the client sends no `n`. */
  defaultPageSize?: number;
}): Promise<PaginationServer> {
  const sorted = [...opts.tags].sort();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/v2/") {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    if (url.pathname !== `/v2/${opts.repository}/tags/list`) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
      return;
    }
    requests.push(url.search);
    const nParam = url.searchParams.get("n");
    const n = nParam === null ? (opts.defaultPageSize ?? 50) : Number(nParam);
    if (opts.style === "quay" && n > 100) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(
        '{"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":"invalid number of results requested"}]}',
      );
      return;
    }
    const last = url.searchParams.get("last");
    const start = last === null ? 0 : sorted.findIndex((t) => t > last);
    const page = start === -1 ? [] : sorted.slice(start, start + n);
    const headers: Record<string, string> = { "content-type": "application/json" };
    const more = start !== -1 && start + n < sorted.length;
    if (more && opts.style !== "nexus") {
      const path = `/v2/${opts.repository}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] ?? "")}`;
      const { port } = server.address() as AddressInfo;
      const target =
        opts.style === "link-absolute"
          ? `http://127.0.0.1:${port}${path}`
          : opts.style === "cross-origin"
            ? `http://127.0.0.2:${port}${path}`
            : path;
      headers.link = `<${target}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify({ name: opts.repository, tags: page }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
