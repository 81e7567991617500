import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import {
  publishRevocation,
  type RedisRevocationSubscription,
  subscribeRedisRevocations,
} from './redis-revocations.ts';
import type { RevocationList } from './revocation-list.ts';

export interface RedisSettings {
  readonly url: string;
  readonly prefix: string;
  readonly onFailure: 'open' | 'closed';
  /** Share JWKS and discovery documents between replicas (shared-jwks-cache.ts). */
  readonly jwksCache?: boolean;
}

/** The gateway's Redis: a command connection (rate limits, publishing) and the revocation subscription. */
export interface SharedRedis extends RedisSettings {
  readonly client: Redis;
  readonly revocations: RedisRevocationSubscription;
  /** Both connections up and the revocations caught up. */
  readonly up: boolean;
  /** With `on_failure: closed` and Redis not up: authenticated routes answer 503. */
  readonly refusing: boolean;
  /** State for /readyz. */
  status(): { state: 'up' | 'down'; on_failure: 'open' | 'closed'; cursor: string };
  publish(jti: string, exp: number): Promise<void>;
  close(): Promise<void>;
}

export function openSharedRedis(
  settings: RedisSettings,
  revocations: RevocationList,
  log: Logger,
  redisOptions: RedisOptions = {},
): SharedRedis {
  // Fail fast while disconnected (no offline queue): a request never waits for a reconnect.
  const client = new Redis(settings.url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: 1000,
    ...redisOptions,
  });
  let warned = false;
  client.on('error', (err: Error) => {
    if (!warned) log.warn({ error: err.message }, 'redis unavailable');
    warned = true;
  });
  client.on('ready', () => {
    warned = false;
  });
  const sub = subscribeRedisRevocations({
    url: settings.url,
    prefix: settings.prefix,
    revocations,
    log,
    redisOptions,
  });
  const isUp = () => client.status === 'ready' && sub.connected;
  return {
    ...settings,
    client,
    revocations: sub,
    get up() {
      return isUp();
    },
    get refusing() {
      return settings.onFailure === 'closed' && !isUp();
    },
    status: () => ({ state: isUp() ? 'up' : 'down', on_failure: settings.onFailure, cursor: sub.cursor }),
    publish: (jti, exp) => publishRevocation(client, settings.prefix, jti, exp),
    async close() {
      await sub.close();
      client.disconnect();
    },
  };
}
