interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens shorter-lived than this are used once and not cached. */
const EXPIRY_MARGIN_MS = 5_000;
const MAX_ENTRIES = 1_000;

/**
 * Bearer tokens per registry + service + scope + credential identity. The key holds a hash of
 * the credentials (never the credentials) so two ImageRepositories with different secrets
 * never share a token.
 */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();

  get(key: string, now: number = Date.now()): string | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt - EXPIRY_MARGIN_MS <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.token;
  }

  set(key: string, token: string, expiresInSeconds: number, now: number = Date.now()): void {
    if (this.#entries.size >= MAX_ENTRIES) {
      // Map keeps insertion order: drop the oldest entry.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { token, expiresAt: now + expiresInSeconds * 1000 });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Process-wide cache used unless a scan passes its own. */
export const sharedTokenCache = new TokenCache();
