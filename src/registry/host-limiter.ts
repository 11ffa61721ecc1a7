/**
 * A counting semaphore per registry host, so many scans of one registry do not open
 * dozens of connections and trip its rate limits. Hand-written: no p-limit is installed and
 * it is a dozen lines.
 */
export class Semaphore {
  #free: number;
  readonly #waiters: Array<() => void> = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) {
      this.#free--;
    } else {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

export const DEFAULT_MAX_CONCURRENT_PER_HOST = 4;
const limiters = new Map<string, Semaphore>();

/** The shared semaphore for `host` (`apiHost` of an ImageReference). */
export function hostLimiter(host: string, limit: number = DEFAULT_MAX_CONCURRENT_PER_HOST): Semaphore {
  const key = `${host}#${limit}`;
  let s = limiters.get(key);
  if (!s) {
    s = new Semaphore(limit);
    limiters.set(key, s);
  }
  return s;
}
