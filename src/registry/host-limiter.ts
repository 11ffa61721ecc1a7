/**
 * A concurrency limit per registry host, so many scans of one registry do not open dozens of
 * connections and trip its rate limits. p-limit does the queueing (the same library bounds the
 * controller's `run --once` fan-out); this module only keeps one limiter per host.
 */
import pLimit, { type LimitFunction } from "p-limit";

export type HostLimiter = LimitFunction;

export const DEFAULT_MAX_CONCURRENT_PER_HOST = 4;
const limiters = new Map<string, LimitFunction>();

/** The shared limiter for `host` (`apiHost` of an ImageReference). */
export function hostLimiter(host: string, limit: number = DEFAULT_MAX_CONCURRENT_PER_HOST): HostLimiter {
  const key = `${host}#${limit}`;
  let l = limiters.get(key);
  if (!l) {
    l = pLimit(limit);
    limiters.set(key, l);
  }
  return l;
}
