import { readFile } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CredentialsError } from "./errors.js";
import { DOCKER_HUB_REGISTRY } from "./reference.js";

/** Credentials for one registry, already resolved (from a secret or a Docker config). */
export type RegistryCredentials =
  | { username: string; password: string }
  /** An OAuth2 refresh token (`identitytoken`): exchanged at the token realm by POST. */
  | { identityToken: string; username?: string }
  /** A bearer token sent as is (`registrytoken`). */
  | { registryToken: string };

export interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

/** The parts of `config.json` (or a `.dockerconfigjson` secret) that carry credentials. */
export interface DockerConfigJson {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const DOCKER_HUB_KEYS = new Set([
  "index.docker.io",
  "docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

/**
 * Reduces an `auths` key to the registry host Docker would match it against:
 * `https://index.docker.io/v1/` → `index.docker.io`, `https://host:5000/` → `host:5000`.
 */
export function normaliseRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z]+:\/\//i, "");
  const slash = host.indexOf("/");
  if (slash !== -1) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_KEYS.has(host) ? DOCKER_HUB_REGISTRY : host;
}

/** The server URL Docker passes to credential helpers: Docker Hub keeps its legacy v1 URL. */
function helperServerUrl(registry: string): string {
  return registry === DOCKER_HUB_REGISTRY ? "https://index.docker.io/v1/" : registry;
}

/** `$DOCKER_CONFIG`, else `~/.docker`. */
export function defaultDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), ".docker");
}

/** Reads `<dir>/config.json`; a missing file means "no configuration", a broken one is an error. */
export async function loadDockerConfig(dir: string, image: string): Promise<DockerConfigJson | undefined> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    // node:fs's callback form: node:fs/promises costs ~2 ms to load on every scan's start.
    text = await new Promise<string>((resolve, reject) =>
      readFile(path, "utf8", (err, data) => (err ? reject(err) : resolve(data))),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CredentialsError(
      image,
      `${image}: cannot read Docker config ${path}: ${(err as Error).message}`,
    );
  }
  return parseDockerConfig(text, path, image);
}

/**
 * A Docker config's text (a `config.json`, a secret's `.dockerconfigjson`), checked; `source`
 * names it in errors, which never quote the text.
 */
export async function parseDockerConfig(
  text: string,
  source: string,
  image: string,
): Promise<DockerConfigJson> {
  return (await import("./docker-config-checks.js")).dockerConfigFromText(text, source, image);
}

/** Turns one `auths` entry into credentials; `where` names the entry in errors. */
export function credentialsFromAuthEntry(
  entry: DockerAuthEntry,
  image: string,
  where: string,
): RegistryCredentials | undefined {
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  let username = entry.username;
  let password = entry.password;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) {
      throw new CredentialsError(image, `${image}: ${where}: "auth" is not base64 of "username:password"`);
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken) {
    return username
      ? { identityToken: entry.identitytoken, username }
      : { identityToken: entry.identitytoken };
  }
  if (username !== undefined && password !== undefined && (username !== "" || password !== "")) {
    return { username, password };
  }
  return undefined;
}

/** Looks `registry` up in `auths` after normalising every key like Docker does. */
export function lookupAuths(
  config: DockerConfigJson,
  registry: string,
  image: string,
  source: string,
): RegistryCredentials | undefined {
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (normaliseRegistryKey(key) === registry) {
      return credentialsFromAuthEntry(entry, image, `${source} auths["${key}"]`);
    }
  }
  return undefined;
}

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin. "credentials not found"
 * means no credentials (Docker falls through to anonymous); any other failure of a configured
 * helper is an error, as in Docker. Helper output is never put into messages.
 */
export async function runCredentialHelper(
  helper: string,
  registry: string,
  image: string,
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RegistryCredentials | undefined> {
  const bin = `docker-credential-${helper}`;
  const result = await runHelper(bin, helperServerUrl(registry), opts.timeoutMs ?? 10_000, opts.env);
  if (result.failure !== undefined) {
    if (/credentials not found/i.test(result.stdout) || /credentials not found/i.test(result.stderr)) {
      return undefined;
    }
    throw new CredentialsError(image, `${image}: credential helper ${bin} for ${registry} ${result.failure}`);
  }
  const { helperAnswerFromText } = await import("./docker-config-checks.js");
  const out = helperAnswerFromText(result.stdout, `${bin} for ${registry}`, image);
  if (!out.Secret) return undefined;
  // Docker's convention: the user name "<token>" marks an identity (refresh) token.
  if (out.Username === "<token>") return { identityToken: out.Secret };
  return { username: out.Username ?? "", password: out.Secret };
}

interface HelperRun {
  stdout: string;
  stderr: string;
  /** Why the helper failed (for the message), or undefined when it exited 0. */
  failure: string | undefined;
}

/**
 * Runs `<bin> get` with `input` on stdin, as docker does. node:child_process rather than
 * execa (used for Git): this runs inside `policy test --image`, whose start-up is measured,
 * and one short pipe-in/read-out call needs none of execa's ~200 KB.
 */
async function runHelper(
  bin: string,
  input: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv | undefined,
): Promise<HelperRun> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      ["get"],
      { timeout: timeoutMs, env: env ?? process.env, encoding: "utf8", maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const out = stdout.replace(/\r?\n$/, "");
        if (!error) return resolve({ stdout: out, stderr, failure: undefined });
        const failure =
          (error as NodeJS.ErrnoException).code === "ENOENT"
            ? "not found on PATH"
            : error.killed
              ? "timed out"
              : `exited with code ${child.exitCode ?? "?"}`;
        resolve({ stdout: out, stderr, failure });
      },
    );
    // A helper may exit without reading its input: that is its answer, not a pipe error of ours.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/**
 * Resolves credentials from a Docker config the way the docker CLI does: a per-registry
 * `credHelpers` entry wins, else `credsStore` holds everything, else the `auths` entry.
 */
export async function credentialsFromDockerConfig(
  config: DockerConfigJson,
  registry: string,
  image: string,
  opts: { helperTimeoutMs?: number; env?: NodeJS.ProcessEnv; source?: string } = {},
): Promise<RegistryCredentials | undefined> {
  const source = opts.source ?? "Docker config";
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (normaliseRegistryKey(key) === registry) {
      return runCredentialHelper(helper, registry, image, { timeoutMs: opts.helperTimeoutMs, env: opts.env });
    }
  }
  if (config.credsStore) {
    const fromStore = await runCredentialHelper(config.credsStore, registry, image, {
      timeoutMs: opts.helperTimeoutMs,
      env: opts.env,
    });
    if (fromStore) return fromStore;
  }
  return lookupAuths(config, registry, image, source);
}
