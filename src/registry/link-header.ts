/**
 * Returns the `rel="next"` target of an RFC 8288 `Link` header, or undefined. Hand-written:
 * the header is a list of `<uri>; param=value` entries and nothing installed parses it.
 */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const re = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g;
  for (const m of header.matchAll(re)) {
    const params = m[2] ?? "";
    const rel = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(params);
    if (rel?.[1]?.split(/\s+/).includes("next")) return m[1];
  }
  return undefined;
}
