/** A URL's hostname as socket APIs take it: IPv6 literals without their brackets (`[::1]` → `::1`). */
export function socketHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}
