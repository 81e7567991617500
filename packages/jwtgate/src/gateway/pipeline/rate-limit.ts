// The token bucket is shared with the issuer's token endpoint; it lives in src/lib.
export { createRateLimiter, type RateLimiter } from '../../lib/rate-limit.ts';
