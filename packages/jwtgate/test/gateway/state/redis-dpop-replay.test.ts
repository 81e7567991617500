// The shared DPoP replay cache (SET NX PX) against a real Redis, and what it does when Redis
// cannot answer: `open` falls back to the process's cache, `closed` refuses.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createMemoryReplayCache } from '@jwtgate/verify';
import { Redis } from 'ioredis';
import { createRedisReplayCache } from '../../../src/gateway/state/redis-dpop-replay.ts';
import { closedPort, deleteKeys, REDIS_URL, uniquePrefix, withRedis } from '../helpers/redis.ts';

await withRedis('Redis DPoP replay cache', () => {
  const prefix = uniquePrefix();
  const clients: Redis[] = [];
  const client = (url = REDIS_URL) => {
    const c = new Redis(url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  after(async () => {
    await deleteKeys(clients[0] as Redis, prefix).catch(() => {});
    for (const c of clients) c.disconnect();
  });

  describe('createRedisReplayCache', () => {
    test('an id is new once for every gateway on the Redis, and expires with its window', async () => {
      const [a, b] = [client(), client()];
      await Promise.all([a.connect(), b.connect()]);
      const one = createRedisReplayCache({
        redis: a,
        prefix,
        onFailure: 'open',
        fallback: createMemoryReplayCache(),
      });
      const two = createRedisReplayCache({
        redis: b,
        prefix,
        onFailure: 'open',
        fallback: createMemoryReplayCache(),
      });
      const now = Date.now();
      assert.equal(await one.remember('proof-1', now + 300, now), true);
      assert.equal(await two.remember('proof-1', now + 300, now), false);
      assert.equal(await one.remember('proof-1', now + 300, now), false);
      const ttl = await a.pttl(`${prefix}dpop:proof-1`);
      assert.ok(ttl > 0 && ttl <= 300, String(ttl));
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(await two.remember('proof-1', Date.now() + 300, Date.now()), true);
    });

    test('Redis unreachable: open uses the process cache (still one use per process), closed rejects', async () => {
      const down = client(`redis://127.0.0.1:${await closedPort()}`);
      const open = createRedisReplayCache({
        redis: down,
        prefix,
        onFailure: 'open',
        fallback: createMemoryReplayCache(),
      });
      const now = Date.now();
      assert.equal(await open.remember('p', now + 1000, now), true);
      assert.equal(await open.remember('p', now + 1000, now), false);
      const closed = createRedisReplayCache({
        redis: down,
        prefix,
        onFailure: 'closed',
        fallback: createMemoryReplayCache(),
      });
      await assert.rejects(Promise.resolve(closed.remember('q', now + 1000, now)));
    });
  });
});
