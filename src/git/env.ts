import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitError } from "./errors.js";
import type { GitAuth } from "./types.js";

export type Env = Record<string, string>;
export type ConfigEntry = readonly [key: string, value: string];

/** Environment for one git process plus what must be redacted from its output and removed afterwards. */
export interface TransportEnv {
  env: Env;
  config: ConfigEntry[];
  secrets: string[];
  cleanup(): Promise<void>;
}

const ALLOWED_SCHEMES = new Set(["http:", "https:", "ssh:", "file:"]);

/**
 * A git environment that ignores the machine's system and global config (which may carry credential
 * helpers or URL rewrites) and never prompts.
 */
export function hermeticEnv(extra: Env = {}): Env {
  const env: Env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? tmpdir(),
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    // Nothing but the transports a GitRepository may name: no ext::, no git:// from submodules.
    GIT_ALLOW_PROTOCOL: "http:https:ssh:file",
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return { ...env, ...extra };
}

/** `-c` without argv: git reads GIT_CONFIG_COUNT/KEY_n/VALUE_n, invisible to `ps` and never written to disk. */
export function configEnv(entries: readonly ConfigEntry[]): Env {
  const env: Env = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

export function parseRemoteUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GitError("clone", "GitRepository url is not a valid URL (use http(s)://, ssh:// or file://)");
  }
  if (!ALLOWED_SCHEMES.has(u.protocol)) {
    throw new GitError(
      "clone",
      `GitRepository url scheme ${u.protocol} is not supported (http, https, ssh, file)`,
    );
  }
  if ((u.protocol === "http:" || u.protocol === "https:") && (u.username || u.password)) {
    throw new GitError("auth", "GitRepository url must not carry credentials; put them in the secretRef");
  }
  return u;
}

// Reads the credentials from variables set only on this git process, so they are never in argv or on disk.
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || exit 0; printf "username=%s\\npassword=%s\\n" "$IMAGECTL_GIT_USERNAME" "$IMAGECTL_GIT_PASSWORD"; }; f';

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * `http.proxy` for a GitRepository's `proxySecretRef`, with the credentials in its userinfo (git
 * sends them as Basic Proxy-Authorization at once). Like every entry here it reaches git through
 * GIT_CONFIG_* variables, never argv; the password is added to what is scrubbed from git's output.
 */
function proxyConfig(u: URL, proxy: URL, config: ConfigEntry[], secrets: string[]): void {
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new GitError(
      "clone",
      `GitRepository proxySecretRef applies to http(s) URLs only, not ${u.protocol}//`,
    );
  }
  if (!proxy.username && !proxy.password) {
    config.push(["http.proxy", proxy.href]);
  } else {
    // Spelled out so that an empty password keeps its colon (URL drops it): git would prompt for one.
    const { protocol, username, password, host } = proxy;
    config.push(["http.proxy", `${protocol}//${username}:${password}@${host}`]);
    config.push(["http.proxyAuthMethod", "basic"]);
    secrets.push(...new Set([proxy.password, decodeURIComponent(proxy.password)].filter((s) => s !== "")));
  }
}

/**
 * Transport credentials for `url`, scoped to its origin so a redirect elsewhere never receives them,
 * and the proxy of a `proxySecretRef` (HTTP CONNECT for https).
 */
export async function transportEnv(url: string, auth: GitAuth = {}, proxy?: URL): Promise<TransportEnv> {
  const u = parseRemoteUrl(url);
  const secrets = [auth.password, auth.bearerToken, auth.sshPrivateKey].filter((s): s is string => !!s);
  const config: ConfigEntry[] = [["credential.helper", ""]];
  if (proxy) proxyConfig(u, proxy, config, secrets);
  const env: Env = {};
  let tempDir: string | undefined;

  if (u.protocol === "http:" || u.protocol === "https:") {
    const origin = `${u.protocol}//${u.host}/`;
    if (auth.bearerToken) {
      config.push([`http.${origin}.extraHeader`, `Authorization: Bearer ${auth.bearerToken}`]);
    } else if (auth.username !== undefined || auth.password !== undefined) {
      config.push([`credential.${origin}.helper`, CREDENTIAL_HELPER]);
      env.IMAGECTL_GIT_USERNAME = auth.username ?? "";
      env.IMAGECTL_GIT_PASSWORD = auth.password ?? "";
    }
  } else if (u.protocol === "ssh:") {
    if (!auth.knownHosts) {
      // Same rule as Flux: an ssh GitRepository secret must pin the host key; no trust on first use.
      throw new GitError("auth", "ssh GitRepository secret has no known_hosts; host key cannot be verified");
    }
    if (!auth.sshPrivateKey)
      throw new GitError("auth", "ssh GitRepository secret has no identity (private key)");
    tempDir = await mkdtemp(join(tmpdir(), "imagectl-ssh-"));
    const keyFile = join(tempDir, "identity");
    const hostsFile = join(tempDir, "known_hosts");
    const key = auth.sshPrivateKey.endsWith("\n") ? auth.sshPrivateKey : `${auth.sshPrivateKey}\n`;
    await writeFile(keyFile, key, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    await writeFile(hostsFile, auth.knownHosts.endsWith("\n") ? auth.knownHosts : `${auth.knownHosts}\n`);
    env.GIT_SSH_COMMAND = [
      "ssh -F /dev/null",
      `-i ${shellQuote(keyFile)}`,
      "-o IdentitiesOnly=yes",
      `-o UserKnownHostsFile=${shellQuote(hostsFile)}`,
      "-o GlobalKnownHostsFile=/dev/null",
      "-o StrictHostKeyChecking=yes",
      "-o BatchMode=yes",
    ].join(" ");
    env.GIT_SSH_VARIANT = "ssh";
  }

  const dir = tempDir;
  return {
    env,
    config,
    secrets,
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
