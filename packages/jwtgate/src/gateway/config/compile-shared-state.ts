import { createMemoryReplayCache, type ReplayCache } from '@jwtgate/verify';
import { createRateLimiter } from '../../lib/rate-limit.ts';
import { createRedisReplayCache } from '../state/redis-dpop-replay.ts';
import { createRedisRateLimiter, type SharedRateLimiter } from '../state/redis-rate-limit.ts';
import type { RedisSettings, SharedRedis } from '../state/shared-redis.ts';
import type { ConfigProblems } from './config-source.ts';
import type { GatewaySection } from './types.ts';

/** What the configuration says about state shared beyond one process: the revocation feed and Redis. */
export interface SharedStatePlan {
  /** The issuer revocation stream to follow (`<feed>/revocations/stream`), or null. */
  readonly revocationFeed: string | null;
  /** The configured Redis (`gateway.redis`), or null. The gateway opens it; compiling does not. */
  readonly redis: RedisSettings | null;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Checks and plans the shared state; nothing is opened here. */
export function planSharedState(g: GatewaySection, problems: ConfigProblems): SharedStatePlan {
  let revocationFeed: string | null = null;
  if (g.revocation) {
    const at = ['gateway', 'revocation', 'feed'];
    const base = URL.parse(g.revocation.feed);
    if (base === null || !/^https?:$/.test(base.protocol)) {
      problems.add(at, 'expected an http(s) URL');
    } else if (base.protocol === 'http:' && !LOOPBACK.test(base.hostname)) {
      // The feed decides which tokens are denied: over plain http to another host it could be suppressed.
      problems.add(at, 'plain http is allowed only to a loopback address; use https');
    } else {
      revocationFeed = new URL('revocations/stream', base.href.endsWith('/') ? base.href : `${base.href}/`)
        .href;
    }
  }
  let redis: RedisSettings | null = null;
  if (g.redis) {
    const u = URL.parse(g.redis.url);
    if (u === null || !/^rediss?:$/.test(u.protocol) || u.hostname === '')
      problems.add(['gateway', 'redis', 'url'], 'expected redis://host:port or rediss://host:port');
    else
      redis = {
        url: g.redis.url,
        prefix: g.redis.key_prefix,
        onFailure: g.redis.on_failure,
        jwksCache: g.redis.jwks_cache,
      };
  }
  return { revocationFeed, redis };
}

/**
 * How a route's token buckets are made: local, or with the gateway's open Redis shared by every
 * replica (the local bucket is then the fallback while Redis is down).
 */
export function rateLimiterFactory(
  shared: SharedRedis | null,
): (scope: string, rate: number, burst: number) => SharedRateLimiter {
  return (scope, rate, burst) => {
    const local = createRateLimiter(rate, burst);
    if (shared === null) return local;
    return createRedisRateLimiter({
      redis: shared.client,
      prefix: shared.prefix,
      scope,
      rate,
      burst,
      onFailure: shared.onFailure,
      fallback: local,
    });
  };
}

/**
 * Where DPoP proof ids are remembered: in this process, and with the gateway's open Redis there
 * too, so a proof one replica accepted is a replay at every other (the process's cache is the
 * fallback while Redis is down, with `on_failure: open`).
 */
export function dpopReplayCache(shared: SharedRedis | null): ReplayCache {
  const local = createMemoryReplayCache();
  if (shared === null) return local;
  return createRedisReplayCache({
    redis: shared.client,
    prefix: shared.prefix,
    onFailure: shared.onFailure,
    fallback: local,
  });
}
