/** A token bucket per key (a subject, a client id or an address): `rate` tokens a second, holding at most `burst`. */
export interface RateLimiter {
  /** 0 when the request may pass, otherwise the seconds to wait (for Retry-After). */
  take(key: string, nowMs: number): number;
  /** Gives back one token taken for `key` (a request that turned out not to count). */
  refund(key: string): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_KEYS = 100_000;

export function createRateLimiter(rate: number, burst: number): RateLimiter {
  let buckets = new Map<string, Bucket>();
  return {
    take(key, nowMs) {
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= MAX_KEYS) buckets = new Map(); // bounded memory; a reset only forgives
        b = { tokens: burst, at: nowMs };
        buckets.set(key, b);
      } else {
        // A clock stepping back refills nothing (and takes nothing away).
        b.tokens = Math.min(burst, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * rate);
        b.at = nowMs;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / rate));
    },
    refund(key) {
      const b = buckets.get(key);
      if (b !== undefined) b.tokens = Math.min(burst, b.tokens + 1);
    },
  };
}
