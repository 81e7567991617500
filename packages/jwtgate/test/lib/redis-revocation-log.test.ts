// The revocation log gateways and issuers share in Redis, against the local Redis (REDIS_URL):
// the relay script publishes each store sequence number once, whoever relays it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { relayedSeq, relayRevocations, revocationKeys } from '../../src/lib/redis-revocation-log.ts';
import { deleteKeys, eventually, REDIS_URL, uniquePrefix, withRedis } from '../gateway/helpers/redis.ts';

const exp = () => Math.floor(Date.now() / 1000) + 600;

await withRedis('Redis revocation log', () => {
  const redis = new Redis(REDIS_URL);
  const prefixes: string[] = [];
  const fresh = () => {
    const p = uniquePrefix();
    prefixes.push(p);
    return p;
  };
  after(async () => {
    for (const p of prefixes) await deleteKeys(redis, p);
    redis.disconnect();
  });

  describe('relayRevocations', () => {
    test('publishes each sequence number once, whoever relays it, and moves the mark', async () => {
      const prefix = fresh();
      const k = revocationKeys(prefix);
      const listener = new Redis(REDIS_URL);
      const heard: string[] = [];
      listener.on('message', (_c: string, m: string) => heard.push(m));
      await listener.subscribe(k.channel);
      try {
        const e = exp();
        const entries = [
          { seq: 1, jti: 'a', exp: e },
          { seq: 2, jti: 'b"quoted', exp: e },
        ];
        const counts = await Promise.all([
          relayRevocations(redis, prefix, entries),
          relayRevocations(redis, prefix, entries),
          relayRevocations(redis, prefix, entries.slice(0, 1)),
        ]);
        assert.equal(
          counts.reduce((a, b) => a + b, 0),
          2,
        );
        assert.equal(await relayedSeq(redis, prefix), 2);
        assert.equal(await redis.xlen(k.log), 2);
        assert.deepEqual((await redis.zrange(k.revoked, 0, -1)).sort(), ['a', 'b"quoted']);
        await eventually(() => heard.length === 2, 2000, 'two announcements');
        assert.deepEqual(JSON.parse(heard[1] as string), { jti: 'b"quoted', exp: e });
        assert.equal(await relayRevocations(redis, prefix, [{ seq: 3, jti: 'c', exp: e }]), 1);
        assert.equal(await relayedSeq(redis, prefix), 3);
      } finally {
        listener.disconnect();
      }
    });
  });
});
