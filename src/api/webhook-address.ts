/**
 * Provider addresses for display. A webhook URL is often the secret itself: chat webhooks carry
 * their token in the path (Slack's /services/T/B/token, Discord's /api/webhooks/id/token), others
 * in the query or the userinfo. Kept apart from the rules so that printing loads nothing else.
 */

/** What stands for the hidden part of an address. */
export const ADDRESS_REDACTED = "<redacted>";

/** Scheme, host and port of an http(s) address, the rest replaced; anything else replaced whole. */
export function redactAddress(address: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return ADDRESS_REDACTED;
  }
  // Validation admits only http(s); another scheme has no host worth keeping.
  if (url.protocol !== "http:" && url.protocol !== "https:") return ADDRESS_REDACTED;
  const bare = !url.username && !url.password && url.pathname === "/" && !url.search && !url.hash;
  return bare ? `${url.origin}/` : `${url.origin}/${ADDRESS_REDACTED}`;
}
