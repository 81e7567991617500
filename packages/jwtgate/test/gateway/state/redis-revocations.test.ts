// Revocations shared through Redis: publish, subscribe, and catch-up after a disconnection.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import {
  publishRevocation,
  type RedisRevocationSubscription,
  revocationKeys,
  subscribeRedisRevocations,
} from '../../../src/gateway/state/redis-revocations.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';
import { deleteKeys, eventually, killClient, REDIS_URL, uniquePrefix, withRedis } from '../helpers/redis.ts';

const log = pino({ level: 'silent' });
const nowS = () => Math.floor(Date.now() / 1000);
const revoked = (list: RevocationList, jti: string) => list.isRevoked({ jti } as never);

await withRedis('Redis revocations', () => {
  const prefix = uniquePrefix();
  const redis = new Redis(REDIS_URL);
  const subs: RedisRevocationSubscription[] = [];
  const follow = (list: RevocationList, p = prefix) => {
    // A reconnect waits 300 ms: long enough to publish while the subscriber is away.
    const sub = subscribeRedisRevocations({
      url: REDIS_URL,
      prefix: p,
      revocations: list,
      log,
      redisOptions: { retryStrategy: () => 300 },
    });
    subs.push(sub);
    return sub;
  };

  after(async () => {
    await Promise.all(subs.map((s) => s.close()));
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  describe('Redis revocations', () => {
    test('publishRevocation records the set and the log, and every subscriber applies it at once', async () => {
      const a = new RevocationList();
      const b = new RevocationList();
      await Promise.all([follow(a).ready(), follow(b).ready()]);
      const exp = nowS() + 600;
      await publishRevocation(redis, prefix, 'live-1', exp);
      await eventually(() => revoked(a, 'live-1') && revoked(b, 'live-1'), 1000, 'both subscribers');
      const k = revocationKeys(prefix);
      assert.equal(await redis.zscore(k.revoked, 'live-1'), String(exp));
      const log1 = await redis.xrange(k.log, '-', '+');
      assert.ok(log1.some(([, f]) => f.includes('live-1')));
    });

    test('a new subscriber catches up on everything still unexpired, not on expired entries', async () => {
      const p = `${prefix}first:`;
      await publishRevocation(redis, p, 'old-1', nowS() + 600);
      await publishRevocation(redis, p, 'old-2', nowS() + 900);
      // Expired longer ago than the grace period: dead anyway, not loaded.
      await redis.zadd(revocationKeys(p).revoked, nowS() - 3600, 'dead');
      const list = new RevocationList();
      const sub = follow(list, p);
      await sub.ready();
      assert.ok(revoked(list, 'old-1'));
      assert.ok(revoked(list, 'old-2'));
      assert.equal(revoked(list, 'dead'), false);
      assert.notEqual(sub.cursor, '0-0');
    });

    test('revocations published while the subscriber is disconnected (CLIENT KILL) are applied after it reconnects', async () => {
      const p = `${prefix}kill:`;
      const list = new RevocationList();
      const sub = follow(list, p);
      await sub.ready();
      await publishRevocation(redis, p, 'before', nowS() + 600);
      await eventually(() => revoked(list, 'before'), 1000, 'the live revocation');
      const cursorBefore = sub.cursor;

      await killClient(redis, sub.clientName);
      await eventually(() => !sub.connected, 1000, 'the subscriber to notice');
      await publishRevocation(redis, p, 'missed-1', nowS() + 600);
      await publishRevocation(redis, p, 'missed-2', nowS() + 600);
      assert.equal(revoked(list, 'missed-1'), false, 'not delivered while disconnected');

      await eventually(() => sub.connected, 5000, 'the reconnect');
      assert.ok(revoked(list, 'missed-1'));
      assert.ok(revoked(list, 'missed-2'));
      assert.ok(revoked(list, 'before'), 'what was known stays enforced');
      assert.notEqual(sub.cursor, cursorBefore, 'the cursor moved past the caught-up entries');
    });

    test('a log trimmed past the cursor while disconnected falls back to the sorted set', async () => {
      const p = `${prefix}trim:`;
      const list = new RevocationList();
      const sub = follow(list, p);
      await sub.ready();
      await publishRevocation(redis, p, 'seen', nowS() + 600);
      await eventually(() => revoked(list, 'seen'), 1000, 'the live revocation');

      await killClient(redis, sub.clientName);
      await eventually(() => !sub.connected, 1000, 'the subscriber to notice');
      await publishRevocation(redis, p, 'trimmed-away', nowS() + 600);
      await publishRevocation(redis, p, 'kept', nowS() + 600);
      await redis.xtrim(revocationKeys(p).log, 'MAXLEN', 1);

      await eventually(() => sub.connected, 5000, 'the reconnect');
      assert.ok(revoked(list, 'trimmed-away'), 'recovered from the sorted set');
      assert.ok(revoked(list, 'kept'));
    });
  });
});
