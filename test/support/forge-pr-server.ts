/**
 * A loopback forge (GitHub, GitLab or Gitea) for pull-request tests. Every request is checked
 * against the forge's published API description (the operations imagectl uses, vendored in
 * test/fixtures/forge-openapi with their source): the operation must exist, path and query
 * parameters must be declared and typed as described, and a JSON body must satisfy the
 * operation's schema (ajv). Whatever does not is recorded in `violations`. Behind the checks a
 * small in-memory forge keeps pull requests, so the client's find/create/update/close loop runs.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv } from "ajv";

export type Provider = "github" | "gitlab" | "gitea";

interface Param {
  name: string;
  in: string;
  required?: boolean;
  type?: string;
  enum?: unknown[];
  schema?: { type?: string; enum?: unknown[] };
}
interface Operation {
  operationId: string;
  parameters: Param[];
  requestBody?: { content?: Record<string, { schema: object }> };
}
interface Spec {
  basePath: string;
  paths: Record<string, Record<string, Operation>>;
}

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

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

function typeOk(type: string | undefined, value: string): boolean {
  if (type === "integer") return /^-?\d+$/.test(value);
  if (type === "boolean") return value === "true" || value === "false";
  return true;
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
  const spec = JSON.parse(
    readFileSync(new URL(`../fixtures/forge-openapi/${provider}.json`, import.meta.url), "utf8"),
  ) as Spec;
  const routes = Object.entries(spec.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      op,
      names: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
      re: new RegExp(`^${spec.basePath}${template.replace(/\{[^}]+\}/g, "([^/]+)")}$`),
    })),
  );
  const state: ForgePrServer = { apiUrl: "", calls: [], violations: [], pulls: [], stop: async () => {} };
  let base = "";

  const authorized = (req: IncomingMessage) => {
    const a = req.headers.authorization ?? "";
    if (provider === "gitlab")
      return req.headers["private-token"] === opts.token || a === `Bearer ${opts.token}`;
    return a === `token ${opts.token}` || a === `Bearer ${opts.token}`;
  };

  const check = (
    route: (typeof routes)[number],
    params: Record<string, string>,
    query: URLSearchParams,
    body: string,
    req: IncomingMessage,
  ) => {
    const where = `${route.method} ${route.template}`;
    const declared = new Map(route.op.parameters.map((p) => [`${p.in}:${p.name}`, p]));
    for (const [name, value] of Object.entries(params)) {
      const p = declared.get(`path:${name}`);
      if (!p) state.violations.push(`${where}: path parameter ${name} not described`);
      else if (!typeOk(p.type ?? p.schema?.type, value))
        state.violations.push(`${where}: path ${name}=${value} is not ${p.type ?? p.schema?.type}`);
    }
    for (const [name, value] of query) {
      const p = declared.get(`query:${name}`);
      if (!p) {
        state.violations.push(`${where}: query parameter ${name} not described`);
        continue;
      }
      const type = p.type ?? p.schema?.type;
      const allowed = p.enum ?? p.schema?.enum;
      if (!typeOk(type, value)) state.violations.push(`${where}: query ${name}=${value} is not ${type}`);
      if (allowed && !allowed.includes(value))
        state.violations.push(`${where}: query ${name}=${value} not one of ${allowed.join(",")}`);
    }
    for (const p of route.op.parameters)
      if (p.required && p.in === "query" && !query.has(p.name))
        state.violations.push(`${where}: query ${p.name} missing`);
    const schema =
      route.op.requestBody?.content?.["application/json"]?.schema ??
      route.op.parameters.find((p) => p.in === "body")?.schema;
    if (body === "") {
      const required = route.op.parameters.some((p) => p.in === "body" && p.required);
      if (required) state.violations.push(`${where}: body missing`);
      return undefined;
    }
    if (!schema) {
      state.violations.push(`${where}: a body was sent to an operation that takes none`);
      return undefined;
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
      state.violations.push(`${where}: body is not application/json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      state.violations.push(`${where}: body is not JSON`);
      return undefined;
    }
    const validate = ajv.compile(schema);
    if (!validate(parsed))
      for (const e of validate.errors ?? [])
        state.violations.push(`${where}: body${e.instancePath} ${e.message}`);
    return parsed as Record<string, unknown>;
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
    const num = Number(params.pull_number ?? params.issue_number ?? params.merge_request_iid ?? params.index);
    const pull = state.pulls.find((p) => p.number === num);
    switch (opId) {
      case "pulls/list":
      case "repoListPullRequests": {
        const head = query.get("head")?.split(":")[1];
        return [
          200,
          state.pulls.filter((p) => p.state === "open" && (!head || p.branch === head)).map(pullJson),
        ];
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
        return [200, Object.entries(opts.labels ?? {}).map(([name, id]) => ({ id, name }))];
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
    const path = decodeURIComponent(url.pathname);
    const route =
      routes.find((r) => r.method === req.method && r.re.test(path)) ??
      // GitLab's project id is a URL-encoded path: match on the raw path too.
      routes.find((r) => r.method === req.method && r.re.test(url.pathname));
    if (!route) {
      state.violations.push(
        `${req.method} ${url.pathname}: no such operation in the ${provider} description`,
      );
      return send(404, { message: "Not Found" });
    }
    const m = route.re.exec(path) ?? route.re.exec(url.pathname)!;
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    state.calls.push(`${req.method} ${route.op.operationId}`);
    if (!authorized(req)) {
      state.violations.push(`${req.method} ${route.template}: not authenticated as the forge expects`);
      return send(401, { message: "Bad credentials" });
    }
    const parsed = check(route, params, url.searchParams, body, req);
    const [status, payload] = act(route.op.operationId, params, url.searchParams, parsed);
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
