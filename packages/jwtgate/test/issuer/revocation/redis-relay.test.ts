// The issuer's relay of its store's revocation list to the gateways' Redis, against the local
// Redis (REDIS_URL): several relays on one store publish each entry once, a gateway subscribed
// receives them, and a Redis that comes back empty is filled again from the store.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { subscribeRedisRevocations } from '../../../src/gateway/state/redis-revocations.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';
import { RedisRevocationRelay } from '../../../src/issuer/revocation/redis-relay.ts';
import { revocationKeys } from '../../../src/lib/redis-revocation-log.ts';
import type { Store } from '../../../src/store/types.ts';
import {
  closedPort,
  deleteKeys,
  eventually,
  REDIS_URL,
  uniquePrefix,
  withRedis,
} from '../../gateway/helpers/redis.ts';
import { openTempStore, silent, tempDir } from '../helpers.ts';

const exp = () => Math.floor(Date.now() / 1000) + 600;

await withRedis('Redis revocation relay', () => {
  const redis = new Redis(REDIS_URL);
  const prefixes: string[] = [];
  const fresh = () => {
    const p = uniquePrefix();
    prefixes.push(p);
    return p;
  };
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;

  before(async () => {
    tmp = tempDir();
    store = await openTempStore(join(tmp.dir, 'relay.db'));
  });
  after(async () => {
    for (const p of prefixes) await deleteKeys(redis, p);
    redis.disconnect();
    await store.close();
    tmp.remove();
  });

  describe('RedisRevocationRelay', () => {
    test('two issuers relaying one store: a gateway gets every revocation, each entry is logged once', async () => {
      const prefix = fresh();
      const k = revocationKeys(prefix);
      const list = new RevocationList();
      const sub = subscribeRedisRevocations({ url: REDIS_URL, prefix, revocations: list, log: silent });
      const relays = [0, 1].map(
        () => new RedisRevocationRelay({ store, url: REDIS_URL, prefix, pollMs: 50, log: silent }),
      );
      try {
        await sub.ready();
        for (const r of relays) r.start();
        const base = (await store.revocations.since(0)).length;
        const jtis = Array.from({ length: 20 }, (_, i) => `relay-${prefix}-${i}`);
        for (const jti of jtis) {
          await store.revocations.add(jti, exp());
          relays[jtis.indexOf(jti) % 2]?.sync();
        }
        await eventually(
          () => jtis.every((jti) => list.isRevoked({ jti })),
          3000,
          'every jti at the gateway',
        );
        await eventually(() => relays.every((r) => r.up), 2000, 'relays up');
        assert.equal(await redis.xlen(k.log), base + jtis.length, 'no entry relayed twice');
      } finally {
        await Promise.all(relays.map((r) => r.close()));
        await sub.close();
      }
    });

    test('a Redis that lost its data is filled again from the store', async () => {
      const prefix = fresh();
      const k = revocationKeys(prefix);
      const relay = new RedisRevocationRelay({ store, url: REDIS_URL, prefix, pollMs: 50, log: silent });
      try {
        await store.revocations.add(`kept-${prefix}`, exp());
        relay.start();
        await eventually(() => relay.up, 2000, 'relay up');
        const hasIt = async () => (await redis.zscore(k.revoked, `kept-${prefix}`)) !== null;
        for (let i = 0; i < 100 && !(await hasIt()); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(await hasIt());
        await deleteKeys(redis, prefix);
        for (let i = 0; i < 100 && !(await hasIt()); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(await hasIt(), 'relayed again after the keys vanished');
      } finally {
        await relay.close();
      }
    });

    test('Redis unreachable: sync does not throw, up is false, close returns', async () => {
      const relay = new RedisRevocationRelay({
        store,
        url: `redis://127.0.0.1:${await closedPort()}`,
        prefix: fresh(),
        pollMs: 50,
        log: silent,
        redisOptions: { retryStrategy: () => 200 },
      });
      relay.start();
      relay.sync();
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(relay.up, false);
      await relay.close();
    });
  });
});
