import type { ScanOptions } from "./options.js";
import type { ImageReference } from "./reference.js";
import { RegistrySession } from "./session.js";

/**
 * One tags/list request for a single tag, through the same auth, TLS and proxy path as a scan:
 * proves the registry answers and accepts the credentials without reading the tag list
 * (`imagectl check`). Throws RegistryError (kind `auth`, `not-found`, `unreachable`, …).
 */
export async function checkAccess(ref: ImageReference, opts: ScanOptions = {}): Promise<void> {
  const session = new RegistrySession(ref, opts);
  const { res } = await session.sendFirst("GET", `/v2/${ref.repository}/tags/list?n=1`);
  if (res.status === 200) return;
  if (res.status === 404) throw session.fail("not-found", "repository not found", { status: 404 });
  if (res.status === 401 || res.status === 403)
    throw session.fail("auth", `access denied (HTTP ${res.status})`, { status: res.status });
  throw session.fail("bad-response", `unexpected HTTP ${res.status} from tags/list`, { status: res.status });
}
