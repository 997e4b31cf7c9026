/** Per-client token buckets: each key may spend `requests` tokens, refilled evenly over `perMs`. */
import type { RateLimit } from './options.js';

export interface RateLimiter {
  /** Spends one token for `key`: 0 when allowed, otherwise the milliseconds until a token is free. */
  take(key: string): number;
}

/**
 * A limiter that may live in another process: `serve --workers n` workers ask the primary, which
 * holds the one set of buckets (cluster.ts), so the limit holds for the whole server.
 */
export type TakeToken = (key: string) => number | Promise<number>;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Buckets kept before idle ones are dropped. A full bucket carries no information (a new one
 * starts full), so dropping those bounds memory against many client addresses without
 * letting anyone past the limit.
 */
const SWEEP_ABOVE = 10_000;

export function createRateLimiter(limit: RateLimit, now: () => number): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const msPerToken = limit.perMs / limit.requests;

  const refill = (bucket: Bucket, at: number): number =>
    // max(0, ...): a clock that steps back must not drain a bucket.
    Math.min(limit.requests, bucket.tokens + Math.max(0, at - bucket.at) / msPerToken);

  function sweep(at: number): void {
    for (const [key, bucket] of buckets) {
      if (refill(bucket, at) >= limit.requests) buckets.delete(key);
    }
  }

  return {
    take(key) {
      const at = now();
      const bucket = buckets.get(key);
      const tokens = bucket ? refill(bucket, at) : limit.requests;
      if (!bucket && buckets.size >= SWEEP_ABOVE) sweep(at);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at });
        return 0;
      }
      buckets.set(key, { tokens, at });
      return Math.ceil((1 - tokens) * msPerToken);
    },
  };
}
