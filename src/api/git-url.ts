/**
 * Credentials in Git URLs. `https://bob:PASSWORD@host/repo.git` works with git, but the URL is
 * stored, printed by `get`, `-o json` and `export`, and logged by tools: credentials belong in a
 * secret (`imagectl create secret git --username --password-stdin`, then `--secret-ref`). Kept
 * apart from the rules so that printing loads nothing else.
 */

/**
 * What credentials `url` carries: "password" for `user:password@`, "user" for an http(s) user
 * alone (often a token: `https://TOKEN@github.com/...`); undefined for none, and for ssh's user
 * alone (`ssh://git@host/...`, which names the account, not a secret) and scp-like URLs.
 */
export function gitUrlCredentials(url: string): "password" | "user" | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.password !== "") return "password";
  if (parsed.username !== "" && (parsed.protocol === "http:" || parsed.protocol === "https:")) return "user";
  return undefined;
}

/** `url` without what gitUrlCredentials finds (for display of objects stored before it was refused). */
export function gitUrlWithoutCredentials(url: string): string {
  const kind = gitUrlCredentials(url);
  if (kind === undefined) return url;
  const parsed = new URL(url);
  if (kind === "user") parsed.username = "";
  parsed.password = "";
  return parsed.toString();
}

/** The refusal, naming what to do instead; never the URL. */
export function gitUrlCredentialsMessage(kind: "password" | "user"): string {
  const what = kind === "password" ? "a user name and password" : "a user name, which may be a token";
  return `must not carry credentials (it has ${what} before '@'): store them in a secret (imagectl create secret git NAME --username USER --password-stdin) and name it with --secret-ref / spec.secretRef`;
}
