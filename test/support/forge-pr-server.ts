/**
 * A loopback forge (GitHub, GitLab or Gitea) for pull-request tests. Every request is checked
 * against the forge's published API description (the operations imagectl uses, vendored in
 * test/fixtures/forge-openapi with their source; openapi-operations.ts checks them). Whatever
 * does not match is recorded in `violations`. Behind the checks a
 * small in-memory forge keeps pull requests, so the client's find/create/update/close loop runs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OperationChecker } from "./openapi-operations.js";

export type Provider = "github" | "gitlab" | "gitea";

export interface ForgePull {
  number: number;
  branch: string;
  base: string;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  reviewers: string[];
}

export interface ForgePrServer {
  /** The API base URL to give imagectl (`apiURL`). */
  apiUrl: string;
  /** `METHOD operationId` of every request, in order. */
  calls: string[];
  violations: string[];
  pulls: ForgePull[];
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startForgePrServer(
  provider: Provider,
  opts: {
    token: string;
    repository: string;
    users?: Record<string, number>;
    labels?: Record<string, number>;
  },
): Promise<ForgePrServer> {
  const checker = new OperationChecker(`${provider}.json`);
  const state: ForgePrServer = { apiUrl: "", calls: [], violations: [], pulls: [], stop: async () => {} };
  let base = "";

  const authorized = (req: IncomingMessage) => {
    const a = req.headers.authorization ?? "";
    if (provider === "gitlab")
      return req.headers["private-token"] === opts.token || a === `Bearer ${opts.token}`;
    return a === `token ${opts.token}` || a === `Bearer ${opts.token}`;
  };

  const pullJson = (p: ForgePull) => {
    if (provider === "gitlab")
      return {
        iid: p.number,
        web_url: `${base}/${opts.repository}/-/merge_requests/${p.number}`,
        title: p.title,
        description: p.body,
        source_branch: p.branch,
        target_branch: p.base,
        state: p.state === "open" ? "opened" : "closed",
        labels: p.labels,
      };
    return {
      number: p.number,
      html_url: `${base}/${opts.repository}/pull/${p.number}`,
      title: p.title,
      body: p.body,
      state: p.state,
      head: { ref: p.branch, label: `${opts.repository.split("/")[0]}:${p.branch}` },
      base: { ref: p.base },
      labels: p.labels.map((name) => ({ name })),
    };
  };

  const act = (
    opId: string,
    params: Record<string, string>,
    query: URLSearchParams,
    body: Record<string, unknown> | undefined,
  ): [number, unknown] => {
    const b = body ?? {};
    // Gitea pages its lists (`page`, `limit`: at most 50 a page); GitHub (`page`, `per_page`: 100).
    const paged = <T>(items: T[]): T[] => {
      const limit = query.get("limit");
      const size =
        limit !== null ? Math.min(50, Number(limit)) : Math.min(100, Number(query.get("per_page") ?? 30));
      const page = Number(query.get("page") ?? 1);
      return items.slice((page - 1) * size, page * size);
    };
    const num = Number(params.pull_number ?? params.issue_number ?? params.merge_request_iid ?? params.index);
    const pull = state.pulls.find((p) => p.number === num);
    switch (opId) {
      case "pulls/list":
      case "repoListPullRequests": {
        const head = query.get("head")?.split(":")[1];
        const open = state.pulls.filter((p) => p.state === "open" && (!head || p.branch === head));
        return [200, paged(open).map(pullJson)];
      }
      case "getApiV4ProjectsIdMergeRequests": {
        const src = query.get("source_branch");
        return [
          200,
          state.pulls.filter((p) => p.state === "open" && (!src || p.branch === src)).map(pullJson),
        ];
      }
      case "pulls/create":
      case "repoCreatePullRequest":
      case "postApiV4ProjectsIdMergeRequests": {
        const labelIds = (b.labels as unknown[] | undefined) ?? [];
        const names = Object.entries(opts.labels ?? {});
        const p: ForgePull = {
          number: state.pulls.length + 1,
          branch: String(b.head ?? b.source_branch),
          base: String(b.base ?? b.target_branch),
          title: String(b.title),
          body: String(b.body ?? b.description ?? ""),
          state: "open",
          labels: labelIds.map((l) =>
            typeof l === "number" ? (names.find(([, id]) => id === l)?.[0] ?? "?") : String(l),
          ),
          reviewers: ((b.reviewers ?? b.reviewer_ids ?? []) as unknown[]).map(String),
        };
        state.pulls.push(p);
        return [201, pullJson(p)];
      }
      case "pulls/update":
      case "repoEditPullRequest":
      case "putApiV4ProjectsIdMergeRequestsMergeRequestIid": {
        if (!pull) return [404, { message: "Not Found" }];
        if (typeof b.title === "string") pull.title = b.title;
        if (typeof b.body === "string") pull.body = b.body;
        if (typeof b.description === "string") pull.body = b.description;
        if (b.state === "closed" || b.state_event === "close") pull.state = "closed";
        return [provider === "gitea" ? 201 : 200, pullJson(pull)];
      }
      case "issues/add-labels":
        if (!pull) return [404, { message: "Not Found" }];
        pull.labels.push(...((b.labels as string[]) ?? []));
        return [200, pull.labels.map((name) => ({ name }))];
      case "pulls/request-reviewers":
        if (!pull) return [404, { message: "Not Found" }];
        pull.reviewers.push(...((b.reviewers as string[]) ?? []));
        return [201, pullJson(pull)];
      case "getApiV4Users": {
        const id = opts.users?.[query.get("username") ?? ""];
        return [200, id === undefined ? [] : [{ id, username: query.get("username") }]];
      }
      case "issueListLabels":
        return [200, paged(Object.entries(opts.labels ?? {}).map(([name, id]) => ({ id, name })))];
      default:
        return [500, { message: `no behaviour for ${opId}` }];
    }
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await readBody(req);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
    };
    // GitLab's project id is a URL-encoded path: the checker matches the raw path.
    const m = checker.match(req.method ?? "GET", url.pathname);
    if (!m) {
      state.violations.push(
        `${req.method} ${url.pathname}: no such operation in the ${provider} description`,
      );
      return send(404, { message: "Not Found" });
    }
    state.calls.push(`${req.method} ${m.operationId}`);
    if (!authorized(req)) {
      state.violations.push(`${m.where}: not authenticated as the forge expects`);
      return send(401, { message: "Bad credentials" });
    }
    const checked = checker.check(m, url.searchParams, body, String(req.headers["content-type"] ?? ""));
    state.violations.push(...checked.problems);
    const parsed = checked.body as Record<string, unknown> | undefined;
    const params = m.params;
    const [status, payload] = act(m.operationId, params, url.searchParams, parsed);
    send(status, payload);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.apiUrl = provider === "gitea" ? `${base}/api/v1` : base;
  state.stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
