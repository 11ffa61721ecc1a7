// `imagectl bootstrap git|github|gitlab`: Flux's bootstrap grammar; all forms end in runBootstrap.
import type { Command } from "commander";
import type { ForgeRepository } from "../git/forge/types.js";
import type { GitAuth } from "../git/index.js";
import { BOOTSTRAP_NAME, normalizeSyncPath } from "./bootstrap-manifests.js";
import { type BootstrapRequest, runBootstrap } from "./bootstrap-run.js";
import { type GitSecretFlags, gitSecretData } from "./create-secret.js";
import { CommandFailedError, UsageError } from "./errors.js";
import { collectCsv, durationFlag, globalsOf } from "./globals.js";
import type { CliContext } from "./io.js";
import { progress } from "./progress.js";

interface CommonFlags {
  branch: string;
  path?: string;
  interval: string;
  authorName: string;
  authorEmail: string;
  secretName: string;
  components?: string[];
  componentsExtra?: string[];
  networkPolicy?: boolean;
  logLevel?: string;
  watchAllNamespaces?: boolean;
  clusterDomain?: string;
}

interface GitFlags extends CommonFlags, GitSecretFlags {
  allowInsecureHttp?: boolean;
}

interface ForgeFlags extends CommonFlags {
  owner?: string;
  repository?: string;
  personal?: boolean;
  hostname?: string;
  private: boolean;
  visibility?: string;
}

/** Flux's flags about in-cluster controllers: accepted so that Flux's commands run, with one note. */
function noteClusterFlags(ctx: CliContext, f: CommonFlags): void {
  const p = progress(ctx.io);
  const extra = f.componentsExtra ?? [];
  if (extra.length)
    p.action(
      `--components-extra ${extra.join(",")}: imagectl is the image-reflector and image-automation controllers; nothing to install`,
    );
  if (f.components?.length) p.action("--components: imagectl runs no cluster controllers; ignored");
  if (f.networkPolicy !== undefined) p.action("--network-policy: there is no cluster network here; ignored");
  if (f.logLevel) p.action("--log-level: ignored (imagectl serve logs to its standard output)");
  if (f.watchAllNamespaces !== undefined)
    p.action("--watch-all-namespaces: imagectl always watches every namespace");
  if (f.clusterDomain) p.action("--cluster-domain: there is no cluster here; ignored");
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option("--branch <branch>", "Git branch", "main")
    .option("--path <path>", "path in the repository whose manifests are synced, e.g. ./clusters/staging")
    .option("--interval <duration>", "sync interval", "1m0s")
    .option("--author-name <name>", "author of the bootstrap commit", "Flux")
    .option(
      "--author-email <email>",
      "author email of the bootstrap commit",
      "fluxcdbot@users.noreply.github.com",
    )
    .option("--secret-name <name>", "name of the secret with the Git credentials", BOOTSTRAP_NAME)
    .option("--components <list>", "(Flux) controllers to install: accepted, not needed", collectCsv)
    .option(
      "--components-extra <list>",
      "(Flux) extra controllers, e.g. image-reflector-controller: accepted",
      collectCsv,
    )
    .option("--network-policy [bool]", "(Flux) accepted, no meaning here", (v) => v !== "false")
    .option("--log-level <level>", "(Flux) accepted, no meaning here")
    .option("--watch-all-namespaces [bool]", "(Flux) accepted, always true here", (v) => v !== "false")
    .option("--cluster-domain <domain>", "(Flux) accepted, no meaning here");
}

function targetOf(url: string, f: CommonFlags, secretName?: string): BootstrapRequest["target"] {
  if (!f.path) throw new UsageError("--path: required, e.g. --path=./clusters/staging");
  return {
    url,
    branch: f.branch,
    path: normalizeSyncPath(f.path),
    interval: durationFlag("--interval", f.interval),
    ...(secretName ? { secretName } : {}),
  };
}

/** The credentials for the push, from the secret data bootstrap stores. */
async function authOf(data: Record<string, string> | undefined): Promise<GitAuth | undefined> {
  if (!data) return undefined;
  const { gitAuthFromSecret } = await import("../git/secret-auth.js");
  return gitAuthFromSecret(data);
}

async function bootstrapGit(ctx: CliContext, f: GitFlags, cmd: Command): Promise<void> {
  const g = globalsOf(cmd, ctx);
  if (!f.url) throw new UsageError("--url: required, the Git repository URL");
  if (/^http:\/\//i.test(f.url) && !f.allowInsecureHttp)
    throw new UsageError("--url: scheme http is insecure, pass --allow-insecure-http to allow it");
  const ssh = /^ssh:\/\//.test(f.url);
  const hasCredentials =
    ssh ||
    f.username !== undefined ||
    f.password !== undefined ||
    f.passwordStdin ||
    f.bearerToken !== undefined ||
    f.bearerTokenStdin;
  const data = hasCredentials ? await gitSecretData(ctx, f) : undefined;
  const target = targetOf(f.url, f, data ? f.secretName : undefined);
  noteClusterFlags(ctx, f);
  await runBootstrap(ctx, g, {
    target,
    auth: await authOf(data),
    ...(data ? { secretData: data } : {}),
    author: { name: f.authorName, email: f.authorEmail },
  });
}

async function bootstrapForge(
  ctx: CliContext,
  kind: "github" | "gitlab",
  f: ForgeFlags,
  cmd: Command,
): Promise<void> {
  const g = globalsOf(cmd, ctx);
  if (!f.owner) throw new UsageError("--owner: required, the user or organization owning the repository");
  if (!f.repository) throw new UsageError("--repository: required, the repository name");
  const visibility = f.visibility ?? (f.private ? "private" : "public");
  if (!["private", "public", "internal"].includes(visibility))
    throw new UsageError(`--visibility: '${visibility}' must be private, public or internal`);
  targetOf("", f); // flag problems before any request
  noteClusterFlags(ctx, f);
  const p = progress(ctx.io);
  const { ForgeError, forgeToken } = await import("../git/forge/clients.js");
  let token: string;
  try {
    token = forgeToken(kind, ctx.io.env);
  } catch (err) {
    if (err instanceof ForgeError) throw new UsageError(err.message);
    throw err;
  }
  const req = {
    owner: f.owner,
    repository: f.repository,
    personal: !!f.personal,
    visibility: visibility as "private" | "public" | "internal",
  };
  const opts = {
    env: ctx.io.env,
    timeoutMs: Math.min(g.timeoutMs, 60_000),
    ...(f.hostname ? { hostname: f.hostname } : {}),
  };
  p.action(`connecting to ${f.hostname ?? (kind === "github" ? "github.com" : "gitlab.com")}`);
  let repo: ForgeRepository;
  try {
    repo =
      kind === "github"
        ? await (await import("../git/forge/github.js")).ensureGitHubRepository(req, opts)
        : await (await import("../git/forge/gitlab.js")).ensureGitLabRepository(req, opts);
  } catch (err) {
    if (err instanceof ForgeError) throw new CommandFailedError(err.message);
    throw err;
  }
  p.success(`repository "${f.owner}/${f.repository}" ${repo.created ? "created" : "found"}`);
  // Token over HTTPS, as Flux's --token-auth: the forges take any user name with a token as password.
  const data = { username: "git", password: token };
  await runBootstrap(ctx, g, {
    target: targetOf(repo.cloneUrl, f, f.secretName),
    auth: await authOf(data),
    secretData: data,
    author: { name: f.authorName, email: f.authorEmail },
  });
}

export function registerBootstrap(program: Command, ctx: CliContext): void {
  const bootstrap = program
    .command("bootstrap")
    .description(
      "commit imagectl's manifests to a Git repository and keep the objects under a path in sync with it",
    );
  commonOptions(
    bootstrap
      .command("git")
      .description("bootstrap a Git repository by URL (http(s):// or ssh://)")
      .option("--url <url>", "Git repository URL")
      .option("-u, --username <user>", "HTTP(S) user name")
      .option("-p, --password <password>", "HTTP(S) password or token (prefer --password-stdin)")
      .option("--password-stdin", "read the password from standard input")
      .option("--bearer-token <token>", "HTTP(S) bearer token")
      .option("--bearer-token-stdin", "read the bearer token from standard input")
      .option("--private-key-file <path>", "SSH private key (OpenSSH format)")
      .option("--known-hosts-file <path>", "SSH known_hosts with the server's host key")
      .option("--allow-insecure-http", "allow a plain http:// URL"),
  ).action((f: GitFlags, cmd: Command) => bootstrapGit(ctx, f, cmd));
  for (const [kind, forge] of [
    ["github", "GitHub (token from GITHUB_TOKEN)"],
    ["gitlab", "GitLab (token from GITLAB_TOKEN)"],
  ] as const) {
    commonOptions(
      bootstrap
        .command(kind)
        .description(`bootstrap a ${forge} repository, creating it when it does not exist`)
        .option("--owner <owner>", "user or organization (GitLab: group) owning the repository")
        .option("--repository <name>", "repository name")
        .option("--personal", "the owner is the authenticated user")
        .option("--hostname <host>", "forge host, for Enterprise / self-managed instances")
        .option("--private [bool]", "create the repository as private", (v) => v !== "false", true)
        .option("--visibility <v>", "GitLab project visibility: private, public or internal"),
    ).action((f: ForgeFlags, cmd: Command) => bootstrapForge(ctx, kind, f, cmd));
  }
}
