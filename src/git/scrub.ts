// Git echoes URLs (with any userinfo) and sometimes request headers in its stderr; everything that
// leaves this module as text goes through here first.

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/gi;
const AUTH_HEADER = /(authorization:\s*)(basic|bearer)\s+\S+/gi;

/** Removes `user:pass@` from URLs, Authorization header values and every given secret value. */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text
    .replace(USERINFO, (_m, scheme: string, info: string) =>
      // An ssh user name (git@) is not a secret; any http userinfo may be a token.
      scheme.toLowerCase() === "ssh://" && !info.includes(":") ? `${scheme}${info}@` : `${scheme}***@`,
    )
    .replace(AUTH_HEADER, "$1$2 ***");
  for (const s of secrets) {
    // Very short values would mangle unrelated text; such secrets are not worth protecting by redaction.
    if (s && s.length >= 4) out = out.split(s).join("***");
  }
  return out;
}

/** A URL fit for messages: no userinfo password, no query string (tokens hide there too). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return scrub(url);
  }
}
