// Smart-HTTP Git server for tests: a Node http server running `git http-backend` as a CGI on 127.0.0.1.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBareRepoAt } from "./git-repo.js";

export interface GitHttpServerOptions {
  /** With username and password, every request needs this Basic auth (or the bearer token, if set). */
  username?: string;
  password?: string;
  bearerToken?: string;
  /** Serve this existing directory (kept on stop) instead of a new temporary one. */
  root?: string;
}

export interface GitHttpServer {
  /** Directory served as GIT_PROJECT_ROOT. */
  root: string;
  /** `http://127.0.0.1:<port>/<repoName>`. */
  url(repoName: string): string;
  /** Creates a bare repo `<root>/<name>` with one commit of `files` on `branch` (default "main"); returns its path. */
  createBareRepo(name: string, files: Record<string, string>, branch?: string): Promise<string>;
  /** Number of requests answered 401, for asserting that credentials were (not) needed. */
  unauthorized(): number;
  stop(): Promise<void>;
}

function authorized(req: IncomingMessage, o: GitHttpServerOptions): string | null {
  const needsAuth = o.username !== undefined || o.bearerToken !== undefined;
  if (!needsAuth) return "";
  const header = req.headers.authorization ?? "";
  if (o.bearerToken && header === `Bearer ${o.bearerToken}`) return "bearer";
  const basic = /^Basic (.+)$/i.exec(header);
  if (basic?.[1] && o.username !== undefined) {
    const given = Buffer.from(basic[1], "base64").toString();
    if (given === `${o.username}:${o.password ?? ""}`) return o.username;
  }
  return null;
}

function runCgi(req: IncomingMessage, res: ServerResponse, root: string, remoteUser: string): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: req.socket.remoteAddress ?? "",
    REMOTE_USER: remoteUser,
    GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
    SERVER_PROTOCOL: "HTTP/1.1",
  };
  // Chunked pushes carry no length; http-backend then reads to EOF.
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  const cgi = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "ignore"] });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    let sep = head.indexOf("\r\n\r\n");
    let sepLen = 4;
    if (sep < 0) {
      sep = head.indexOf("\n\n");
      sepLen = 2;
    }
    if (sep < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, sep).toString().split(/\r?\n/)) {
      const i = line.indexOf(":");
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === "status") status = Number.parseInt(v, 10);
      else if (k) res.setHeader(k, v);
    }
    res.writeHead(status);
    res.write(head.subarray(sep + sepLen));
  });
  cgi.stdout.on("end", () => res.end());
  cgi.on("error", (e) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(e));
  });
}

export async function startGitHttpServer(o: GitHttpServerOptions = {}): Promise<GitHttpServer> {
  const root = o.root ?? (await mkdtemp(join(tmpdir(), "imagectl-githttp-")));
  let denied = 0;
  const server = createServer((req, res) => {
    const user = authorized(req, o);
    if (user === null) {
      denied++;
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end("auth required\n");
      return;
    }
    runCgi(req, res, root, user);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    root,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    createBareRepo: (name, files, branch) => createBareRepoAt(root, name, files, branch),
    unauthorized: () => denied,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (o.root === undefined) await rm(root, { recursive: true, force: true });
    },
  };
}
