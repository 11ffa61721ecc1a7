import type { GitAuth } from "./types.js";

/**
 * Git credentials from a Flux Git secret's keys: `username`/`password`, `bearerToken`, or
 * `identity` + `known_hosts` (what `create secret git` and `bootstrap` store).
 */
export function gitAuthFromSecret(data: Readonly<Record<string, string>>): GitAuth {
  return {
    username: data.username,
    password: data.password,
    bearerToken: data.bearerToken,
    sshPrivateKey: data.identity,
    knownHosts: data.known_hosts,
  };
}
