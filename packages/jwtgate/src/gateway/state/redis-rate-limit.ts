import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimiter } from '../../lib/rate-limit.ts';
import { GatewayError } from '../errors.ts';

/**
 * An atomic token bucket: KEYS[1] is the bucket (a hash: tokens, at); ARGV rate, burst. The clock
 * is Redis's own (TIME), so replicas with skewed clocks share one view. Returns 0 when the
 * request may pass, otherwise the seconds to wait.
 */
export const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
`;

const SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');

/** A limiter whose answer may come from Redis. */
export interface SharedRateLimiter {
  take(key: string, nowMs: number): number | Promise<number>;
}

export interface RedisRateLimiterOptions {
  readonly redis: Redis;
  readonly prefix: string;
  /** Names the bucket: the route and what it counts per (`sub`, `client_id`). */
  readonly scope: string;
  readonly rate: number;
  readonly burst: number;
  /** Redis unreachable: count in `fallback` (open) or refuse with ERR_REDIS_UNAVAILABLE (closed). */
  readonly onFailure: 'open' | 'closed';
  readonly fallback: RateLimiter;
}

/** Runs the bucket script by EVALSHA, loading it (EVAL) when the server does not know it yet. */
export async function takeRedisToken(
  redis: Redis,
  key: string,
  rate: number,
  burst: number,
): Promise<number> {
  try {
    return Number(await redis.evalsha(SHA, 1, key, rate, burst));
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return Number(await redis.eval(TOKEN_BUCKET_LUA, 1, key, rate, burst));
  }
}

/**
 * A token bucket per key shared by every gateway on the same Redis (`<prefix>ratelimit:<scope>:<key>`),
 * so a route's limit holds across replicas.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): SharedRateLimiter {
  const { redis, rate, burst, onFailure, fallback } = options;
  const base = `${options.prefix}ratelimit:${options.scope}:`;
  return {
    async take(key, nowMs) {
      try {
        return await takeRedisToken(redis, base + key, rate, burst);
      } catch (cause) {
        if (onFailure === 'open') return fallback.take(key, nowMs);
        throw new GatewayError('ERR_REDIS_UNAVAILABLE', { cause });
      }
    },
  };
}
