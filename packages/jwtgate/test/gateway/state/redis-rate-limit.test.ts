// The shared token bucket (Lua, EVALSHA) against a real Redis, and its failure modes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { GatewayError } from '../../../src/gateway/errors.ts';
import { createRedisRateLimiter } from '../../../src/gateway/state/redis-rate-limit.ts';
import { createRateLimiter } from '../../../src/lib/rate-limit.ts';
import { closedPort, deleteKeys, REDIS_URL, uniquePrefix, withRedis } from '../helpers/redis.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withRedis('Redis rate limit', () => {
  const prefix = uniquePrefix();
  const clients: Redis[] = [];
  const client = (url = REDIS_URL) => {
    const c = new Redis(url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const limiter = (redis: Redis, rate: number, burst: number, onFailure: 'open' | 'closed' = 'open') =>
    createRedisRateLimiter({
      redis,
      prefix,
      scope: 'route:sub',
      rate,
      burst,
      onFailure,
      fallback: createRateLimiter(rate, burst),
    });

  after(async () => {
    const c = clients[0] ?? new Redis(REDIS_URL);
    await deleteKeys(c, prefix);
    for (const x of clients) x.disconnect();
  });

  describe('Redis token bucket', () => {
    test('a burst passes, the next request waits, and the bucket refills at the rate', async () => {
      const redis = client();
      await redis.connect();
      const l = limiter(redis, 5, 2);
      assert.equal(await l.take('burst', 0), 0);
      assert.equal(await l.take('burst', 0), 0);
      assert.equal(await l.take('burst', 0), 1, 'over the burst: Retry-After 1 s');
      await sleep(250); // 5/s refills 1.25 tokens
      assert.equal(await l.take('burst', 0), 0);
      const ttl = await redis.pttl(`${prefix}ratelimit:route:sub:burst`);
      assert.ok(ttl > 0 && ttl <= 1400, `the bucket expires once it would be full again (${ttl})`);
    });

    test('two limiters on separate connections share one budget per key', async () => {
      const [r1, r2] = [client(), client()];
      await Promise.all([r1.connect(), r2.connect()]);
      const a = limiter(r1, 0.01, 3);
      const b = limiter(r2, 0.01, 3);
      assert.equal(await a.take('shared', 0), 0);
      assert.equal(await b.take('shared', 0), 0);
      assert.equal(await a.take('shared', 0), 0);
      assert.ok((await b.take('shared', 0)) > 0, 'the fourth request, on either replica, is limited');
      assert.ok((await a.take('shared', 0)) > 0);
      assert.equal(await b.take('other-subject', 0), 0, 'another key has its own bucket');
    });

    test('the script is loaded again when the server forgot it (NOSCRIPT)', async () => {
      const redis = client();
      await redis.connect();
      const l = limiter(redis, 1, 1);
      assert.equal(await l.take('noscript', 0), 0);
      await redis.script('FLUSH');
      assert.ok((await l.take('noscript', 0)) > 0);
    });

    test('Redis down: on_failure open counts in the local bucket; closed refuses with ERR_REDIS_UNAVAILABLE', async () => {
      const down = client(`redis://127.0.0.1:${await closedPort()}`);
      const open = limiter(down, 0.01, 2, 'open');
      assert.equal(await open.take('u', 1000), 0);
      assert.equal(await open.take('u', 1000), 0);
      assert.ok((await open.take('u', 1000)) > 0, 'the local burst still holds');
      const closed = limiter(down, 0.01, 2, 'closed');
      await assert.rejects(
        async () => closed.take('u', 1000),
        (err: unknown) =>
          err instanceof GatewayError && err.code === 'ERR_REDIS_UNAVAILABLE' && err.status === 503,
      );
    });
  });
});
