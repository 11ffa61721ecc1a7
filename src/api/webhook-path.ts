import { createHash } from "node:crypto";

/**
 * Flux's Receiver webhook path: `/hook/` + hex sha256 of token + name + namespace. The token is in
 * it only as a hash, so the path can be shown in status and `get receivers`.
 */
export function webhookPath(token: string, name: string, namespace: string): string {
  return `/hook/${createHash("sha256")
    .update(token + name + namespace)
    .digest("hex")}`;
}
