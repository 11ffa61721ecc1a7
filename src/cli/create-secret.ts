import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { DOCKER_CONFIG_KEY } from "../controller/registry-secrets.js";
import { UsageError } from "./errors.js";
import { collect, globalsOf, withEnv } from "./globals.js";
import { type CliContext, readStdin } from "./io.js";
import { progress } from "./progress.js";

/** --password or --password-stdin, never both; the value is never echoed. */
async function passwordFrom(
  ctx: CliContext,
  f: { password?: string; passwordStdin?: boolean },
): Promise<string | undefined> {
  if (f.password !== undefined && f.passwordStdin)
    throw new UsageError("--password and --password-stdin are mutually exclusive");
  if (f.passwordStdin) return readStdin(ctx);
  return f.password;
}

function readFileFlag(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(
      `${flag}: cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

/** Docker's config.json shape for one registry, as `kubectl create secret docker-registry` writes it. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

export function registerCreateSecret(create: Command, ctx: CliContext): Command {
  const secret = create
    .command("secret")
    .description("create or update secrets (kept in the store, never printed)");

  secret
    .command("docker-registry")
    .description("create or update a registry credentials secret for ImageRepository spec.secretRef")
    .argument("<name>")
    .option("--server <host>", "registry host, e.g. ghcr.io or 127.0.0.1:5000")
    .option("--username <user>", "registry user name")
    .option("--password <password>", "registry password or token (prefer --password-stdin)")
    .option("--password-stdin", "read the password from standard input")
    .action(
      async (
        name: string,
        f: { server?: string; username?: string; password?: string; passwordStdin?: boolean },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd, ctx);
        if (!f.server) throw new UsageError("--server: required");
        if (!f.username) throw new UsageError("--username: required");
        const password = await passwordFrom(ctx, f);
        if (password === undefined) throw new UsageError("--password or --password-stdin: required");
        await withEnv(g, async (env) => {
          await env.store.putSecret(g.namespace, name, {
            type: "kubernetes.io/dockerconfigjson",
            data: { [DOCKER_CONFIG_KEY]: dockerConfigJson(f.server!, f.username!, password) },
          });
        });
        progress(ctx.io).success(`secret '${g.namespace}/${name}' saved`);
      },
    );

  secret
    .command("tls")
    .description("create or update a TLS secret for ImageRepository spec.certSecretRef")
    .argument("<name>")
    .option("--ca-crt-file <path>", "CA certificate (PEM) added to the system trust")
    .option("--tls-crt-file <path>", "client certificate (PEM) for mutual TLS")
    .option("--tls-key-file <path>", "client private key (PEM) for mutual TLS")
    .action(
      async (
        name: string,
        f: { caCrtFile?: string; tlsCrtFile?: string; tlsKeyFile?: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd, ctx);
        if (!f.caCrtFile && !f.tlsCrtFile)
          throw new UsageError("--ca-crt-file or --tls-crt-file: one is required");
        if (!!f.tlsCrtFile !== !!f.tlsKeyFile)
          throw new UsageError("--tls-crt-file and --tls-key-file go together");
        const data: Record<string, string> = {};
        if (f.caCrtFile) data["ca.crt"] = readFileFlag("--ca-crt-file", f.caCrtFile);
        if (f.tlsCrtFile) data["tls.crt"] = readFileFlag("--tls-crt-file", f.tlsCrtFile);
        if (f.tlsKeyFile) data["tls.key"] = readFileFlag("--tls-key-file", f.tlsKeyFile);
        await withEnv(g, (env) =>
          env.store.putSecret(g.namespace, name, { type: "kubernetes.io/tls", data }),
        );
        progress(ctx.io).success(`secret '${g.namespace}/${name}' saved`);
      },
    );
  secret
    .command("git")
    .description("create or update Git credentials for GitRepository spec.secretRef")
    .argument("<name>")
    .option("--url <url>", "the Git repository URL the credentials are for")
    .option("--username <user>", "HTTP(S) user name")
    .option("--password <password>", "HTTP(S) password or token (prefer --password-stdin)")
    .option("--password-stdin", "read the password from standard input")
    .option("--bearer-token <token>", "HTTP(S) bearer token (prefer --bearer-token-stdin)")
    .option("--bearer-token-stdin", "read the bearer token from standard input")
    .option("--private-key-file <path>", "SSH private key (OpenSSH format)")
    .option("--known-hosts-file <path>", "SSH known_hosts with the server's host key")
    .action(async (name: string, f: GitSecretFlags, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const data = await gitSecretData(ctx, f);
      await withEnv(g, (env) => env.store.putSecret(g.namespace, name, { type: "Opaque", data }));
      progress(ctx.io).success(`secret '${g.namespace}/${name}' saved`);
    });

  secret
    .command("generic")
    .description(
      "create or update a secret from files and literals (e.g. a commit signing key: --from-file git.asc=key.asc)",
    )
    .argument("<name>")
    .option("--from-file <key=path>", "an entry read from a file (repeatable)", collect)
    .option("--from-literal <key=value>", "an entry given literally (repeatable)", collect)
    .action(async (name: string, f: { fromFile?: string[]; fromLiteral?: string[] }, cmd: Command) => {
      const g = globalsOf(cmd, ctx);
      const data: Record<string, string> = {};
      for (const entry of f.fromFile ?? []) {
        const i = entry.indexOf("=");
        if (i <= 0) throw new UsageError(`--from-file: expected key=path, got '${entry}'`);
        data[entry.slice(0, i)] = readFileFlag("--from-file", entry.slice(i + 1));
      }
      for (const entry of f.fromLiteral ?? []) {
        const i = entry.indexOf("=");
        if (i <= 0) throw new UsageError("--from-literal: expected key=value");
        data[entry.slice(0, i)] = entry.slice(i + 1);
      }
      if (Object.keys(data).length === 0)
        throw new UsageError("--from-file or --from-literal: at least one entry is required");
      await withEnv(g, (env) => env.store.putSecret(g.namespace, name, { type: "Opaque", data }));
      progress(ctx.io).success(`secret '${g.namespace}/${name}' saved`);
    });
  return secret;
}

export interface GitSecretFlags {
  url?: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  bearerToken?: string;
  bearerTokenStdin?: boolean;
  privateKeyFile?: string;
  knownHostsFile?: string;
}

/** Git secrets use Flux's keys: username/password, bearerToken, identity + known_hosts. */
export async function gitSecretData(ctx: CliContext, f: GitSecretFlags): Promise<Record<string, string>> {
  if (!f.url) throw new UsageError("--url: required");
  const ssh = /^ssh:\/\//.test(f.url) || /^[^/@:]+@[^/:]+:/.test(f.url);
  if (ssh) {
    if (!f.privateKeyFile) throw new UsageError("--private-key-file: required for an SSH URL");
    if (!f.knownHostsFile)
      throw new UsageError(
        "--known-hosts-file: required for an SSH URL (the server's host key is always verified)",
      );
    return {
      identity: readFileFlag("--private-key-file", f.privateKeyFile),
      known_hosts: readFileFlag("--known-hosts-file", f.knownHostsFile),
    };
  }
  if (f.privateKeyFile) throw new UsageError("--private-key-file: only for ssh:// URLs");
  if (f.bearerToken !== undefined || f.bearerTokenStdin) {
    if (f.bearerToken !== undefined && f.bearerTokenStdin)
      throw new UsageError("--bearer-token and --bearer-token-stdin are mutually exclusive");
    return { bearerToken: f.bearerTokenStdin ? await readStdin(ctx) : f.bearerToken! };
  }
  if (!f.username) throw new UsageError("--username: required for an HTTP(S) URL (or --bearer-token)");
  const password = await passwordFrom(ctx, f);
  if (password === undefined) throw new UsageError("--password or --password-stdin: required");
  return { username: f.username, password };
}
