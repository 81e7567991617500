import type { ReplayCache } from '@jwtgate/verify';
import type { Redis } from 'ioredis';

export interface RedisReplayOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly onFailure: 'open' | 'closed';
  /** The process's own cache: used while Redis cannot answer, with `on_failure: open`. */
  readonly fallback: ReplayCache;
}

/**
 * DPoP proof ids shared by every gateway on one Redis (RFC 9449 11.1): `SET <prefix>dpop:<id> 1
 * NX PX <ms until the proof's window ends>`, so a proof accepted by one gateway is a replay at
 * every other. Redis unreachable: `open` falls back to this process's cache (a replay to another
 * gateway may pass meanwhile), `closed` refuses the request (503).
 *
 * @example
 * createVerifier({ ..., dpop: { replayCache: createRedisReplayCache({ redis, prefix, onFailure, fallback }) } });
 */
export function createRedisReplayCache(options: RedisReplayOptions): ReplayCache {
  const { redis, prefix, onFailure, fallback } = options;
  return {
    remember(id, expiresAtMs, nowMs) {
      const ttl = Math.max(1, Math.ceil(expiresAtMs - nowMs));
      return redis.set(`${prefix}dpop:${id}`, '1', 'PX', ttl, 'NX').then(
        (answer) => answer === 'OK',
        (err: unknown) => {
          if (onFailure === 'closed') throw err;
          return fallback.remember(id, expiresAtMs, nowMs);
        },
      );
    },
  };
}
