/**
 * A loopback GitHub or GitLab API for `bootstrap github|gitlab` tests. GitHub's and GitLab's APIs
 * cannot run here, so every request is checked against the operations vendored from the forges'
 * published descriptions (openapi-operations.ts). Each problem is kept in `violations`, and the
 * request is refused as the forge would refuse it. Repositories it creates are real bare repositories on a `git http-backend`
 * server, so the Git half of a bootstrap is always real.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { GitHttpServer } from "./git-http-server.js";
import { hermeticGit } from "./git-repo.js";
import { OperationChecker } from "./openapi-operations.js";

export type ForgeKind = "github" | "gitlab";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface ForgeRequest {
  method: string;
  path: string;
  operationId?: string;
  body?: Json;
  status: number;
}

export interface ForgeApiServer {
  /** API base URL to hand to the client (IMAGECTL_GITHUB_API_URL / IMAGECTL_GITLAB_API_URL). */
  url: string;
  requests: ForgeRequest[];
  /** Every way a request did not match the description; empty when all were valid. */
  violations: string[];
  /** Creates a repository as if it existed before the test (`owner/name`). */
  addRepository(fullName: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ForgeApiServerOptions {
  kind: ForgeKind;
  git: GitHttpServer;
  token: string;
  /** Login of the token's user (owner of `--personal` repositories). */
  user?: string;
  /** Organizations (GitHub) or groups (GitLab) that exist. */
  groups?: string[];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startForgeApiServer(o: ForgeApiServerOptions): Promise<ForgeApiServer> {
  const checker = new OperationChecker(o.kind === "github" ? "github-repos.json" : "gitlab-projects.json", {
    closedBodies: true,
  });
  const user = o.user ?? "octo";
  const groups = new Map((o.groups ?? []).map((g, i) => [g, 100 + i]));
  const repos = new Map<string, { id: number; fullName: string }>();
  const requests: ForgeRequest[] = [];
  const violations: string[] = [];
  let url = "";

  const createRepository = async (fullName: string, initialize: boolean) => {
    const dir = `${fullName}.git`;
    if (initialize) await o.git.createBareRepo(dir, { "README.md": `# ${fullName}\n` }, "main");
    else {
      const bare = join(o.git.root, dir);
      await hermeticGit(["init", "-q", "--bare", "--initial-branch=main", bare], o.git.root);
      await hermeticGit(["config", "http.receivepack", "true"], bare);
    }
    const repo = { id: repos.size + 1, fullName };
    repos.set(fullName, repo);
    return repo;
  };
  const repoJson = (r: { id: number; fullName: string }): Json =>
    o.kind === "github"
      ? {
          id: r.id,
          name: r.fullName.split("/")[1] ?? "",
          full_name: r.fullName,
          private: true,
          default_branch: "main",
          clone_url: o.git.url(`${r.fullName}.git`),
        }
      : {
          id: r.id,
          path_with_namespace: r.fullName,
          default_branch: "main",
          http_url_to_repo: o.git.url(`${r.fullName}.git`),
        };

  const handle = async (
    op: string,
    params: Record<string, string>,
    body: Record<string, Json>,
  ): Promise<[number, Json]> => {
    const notFound: [number, Json] = [404, { message: o.kind === "github" ? "Not Found" : "404 Not Found" }];
    switch (op) {
      case "repos/get": {
        const r = repos.get(`${params.owner}/${params.repo}`);
        return r ? [200, repoJson(r)] : notFound;
      }
      case "repos/create-in-org":
      case "repos/create-for-authenticated-user": {
        const owner = op === "repos/create-in-org" ? (params.org ?? "") : user;
        if (op === "repos/create-in-org" && !groups.has(owner)) return notFound;
        const fullName = `${owner}/${String(body.name)}`;
        if (repos.has(fullName)) return [422, { message: "Repository creation failed." }];
        return [201, repoJson(await createRepository(fullName, body.auto_init === true))];
      }
      case "getApiV4ProjectsId": {
        const r = repos.get(params.id ?? "") ?? [...repos.values()].find((x) => String(x.id) === params.id);
        return r ? [200, repoJson(r)] : [404, { message: "404 Project Not Found" }];
      }
      case "getApiV4GroupsId": {
        const id = groups.get(params.id ?? "");
        return id === undefined
          ? [404, { message: "404 Group Not Found" }]
          : [200, { id, full_path: params.id ?? "" }];
      }
      case "postApiV4Projects": {
        const ns =
          body.namespace_id === undefined
            ? user
            : [...groups.entries()].find(([, id]) => id === body.namespace_id)?.[0];
        if (ns === undefined) return [404, { message: "404 Namespace Not Found" }];
        const fullName = `${ns}/${String(body.path ?? body.name)}`;
        if (repos.has(fullName)) return [400, { message: { name: ["has already been taken"] } }];
        return [201, repoJson(await createRepository(fullName, body.initialize_with_readme === true))];
      }
    }
    return notFound;
  };

  const authorized = (req: IncomingMessage): boolean => {
    if (o.kind === "gitlab")
      return req.headers["private-token"] === o.token || req.headers.authorization === `Bearer ${o.token}`;
    return (
      req.headers.authorization === `token ${o.token}` || req.headers.authorization === `Bearer ${o.token}`
    );
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const u = new URL(req.url ?? "/", url);
      const rawPath = (req.url ?? "/").split("?")[0] ?? "/";
      const text = await readBody(req);
      let body: Json | undefined;
      try {
        body = text === "" ? undefined : (JSON.parse(text) as Json);
      } catch {
        body = undefined; // the checker reports it
      }
      const problems: string[] = [];
      const m = checker.match(req.method ?? "GET", rawPath);
      const entry: ForgeRequest = {
        method: req.method ?? "GET",
        path: rawPath,
        status: 0,
        ...(body !== undefined ? { body } : {}),
      };
      requests.push(entry);
      let status: number;
      let answer: Json;
      if (!m) {
        problems.push(`${req.method} ${rawPath}: no such operation in the description`);
        [status, answer] = [404, { message: "Not Found" }];
      } else {
        entry.operationId = m.operationId;
        problems.push(
          ...checker.check(m, u.searchParams, text, String(req.headers["content-type"] ?? "")).problems,
        );
        if (!authorized(req))
          [status, answer] = [401, { message: o.kind === "github" ? "Bad credentials" : "401 Unauthorized" }];
        else if (problems.length)
          [status, answer] = [
            o.kind === "github" ? 422 : 400,
            { message: "Validation Failed", errors: problems },
          ];
        else [status, answer] = await handle(m.operationId, m.params, (body ?? {}) as Record<string, Json>);
        // Success codes must be declared; GitLab's generated description lists no error codes.
        const undeclared = checker.undeclaredSuccess(m, status);
        if (undeclared) problems.push(undeclared);
      }
      violations.push(...problems);
      entry.status = status;
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(answer));
    })().catch((err: unknown) => {
      violations.push(`server error: ${String(err)}`);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    violations,
    addRepository: async (fullName) => {
      await createRepository(fullName, true);
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
