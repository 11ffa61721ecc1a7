/**
 * Registry credentials minted by a cloud, kept in memory per (provider, registry) until shortly
 * before they expire, as Flux keeps them in its token cache: a scan every minute must not cost
 * an STS, metadata-server or Entra ID round trip every minute. Concurrent scans of one registry
 * share one exchange. Nothing here is ever written to disk, logged or published.
 */

/** Username and password for the registry's Basic or token challenge, and when they stop working. */
export interface CloudCredentials {
  username: string;
  password: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

// Refresh before the cloud's deadline: a 12 h ECR token or a 1 h Google or Entra token is renewed
// 5 min early, a shorter one after 80% of its life; one with under 30 s left (which a paginated
// scan could outlive) is used for the scan at hand but never kept.
const MAX_MARGIN_MS = 5 * 60_000;
const MIN_MARGIN_MS = 30_000;
const LIFETIME_SHARE_KEPT = 0.8;
// Bounds memory for a fleet of objects naming distinct registries (Flux's default size is 100).
const MAX_ENTRIES = 256;

interface Entry {
  credentials: CloudCredentials;
  refreshAt: number;
}

export class CloudCredentialCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<CloudCredentials>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * The cached credentials for `key`, or the result of `mint` (shared by concurrent callers and
   * kept until its refresh time). A failed mint is not kept: the next scan tries again.
   */
  async get(key: string, mint: () => Promise<CloudCredentials>): Promise<CloudCredentials> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && hit.refreshAt > now) return hit.credentials;
    if (hit) this.#entries.delete(key);
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const started = now;
    const minted = mint().then(
      (credentials) => {
        this.#inFlight.delete(key);
        this.#keep(key, credentials, started);
        return credentials;
      },
      (err: unknown) => {
        this.#inFlight.delete(key);
        throw err;
      },
    );
    this.#inFlight.set(key, minted);
    return minted;
  }

  /** Forgets `key` (the registry refused the credentials: they may have been revoked). */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  #keep(key: string, credentials: CloudCredentials, started: number): void {
    const lifetime = credentials.expiresAt - started;
    const margin = Math.max(MIN_MARGIN_MS, Math.min(MAX_MARGIN_MS, lifetime * (1 - LIFETIME_SHARE_KEPT)));
    const refreshAt = credentials.expiresAt - margin;
    if (refreshAt <= this.#now()) return;
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { credentials, refreshAt });
  }
}
