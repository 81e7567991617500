// The shared JWKS cache against the local Redis: a second replica reads the key set from Redis
// instead of the network, lifetimes follow Cache-Control within bounds, failures and oversize
// bodies are never stored, and Redis being down or slow only costs a direct fetch.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type FetchFunction } from '@jwtgate/verify';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pino from 'pino';
import { stringify } from 'yaml';
import {
  type JwksServer,
  makeKeyPair,
  startJwksServer,
  type TestKeyPair,
} from '../../../../verify/test/helpers/keys.ts';
import { createGateway, type Gateway } from '../../../src/gateway/create-gateway.ts';
import {
  createSharedJwksFetch,
  type SharedJwksResult,
  sharedJwksKey,
} from '../../../src/gateway/state/shared-jwks-cache.ts';
import { route, tempDir } from '../helpers/config.ts';
import { closedPort, deleteKeys, eventually, REDIS_URL, uniquePrefix, withRedis } from '../helpers/redis.ts';

const ISSUER = 'https://shared-jwks.test';
const log = pino({ level: 'silent' });

await withRedis('Shared JWKS cache', () => {
  const prefix = uniquePrefix();
  const redis = new Redis(REDIS_URL);
  const dir = tempDir('shared-jwks');
  let keyPair: TestKeyPair;
  let jwks: JwksServer;
  let n = 0;
  /** A key prefix of its own for one test (all under the run's prefix, deleted at the end). */
  const testPrefix = () => `${prefix}${n++}:`;

  before(async () => {
    keyPair = await makeKeyPair('ES256', 'shared-key');
    jwks = await startJwksServer([keyPair.publicJwk], { 'cache-control': 'public, max-age=120' });
    await redis.ping();
  });

  after(async () => {
    await jwks.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    dir.remove();
  });

  /** One replica's wrapper, recording what each lookup found. */
  function replica(keyPrefix: string, extra: Partial<Parameters<typeof createSharedJwksFetch>[0]> = {}) {
    const results: SharedJwksResult[] = [];
    let calls = 0;
    const real: FetchFunction = extra.fetch ?? ((input, init) => fetch(input, init));
    const shared = createSharedJwksFetch({
      redis: () => redis,
      prefix: keyPrefix,
      onLookup: (r) => results.push(r),
      ...extra,
      fetch: (input, init) => {
        calls++;
        return real(input, init);
      },
    });
    return {
      fetch: shared,
      results,
      get calls() {
        return calls;
      },
    };
  }

  const get = (f: FetchFunction, url: string) => f(url, { headers: { accept: 'application/json' } });

  const sign = (kp = keyPair) =>
    new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: kp.kid })
      .setIssuer(ISSUER)
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(kp.privateKey);

  const verifierWith = (f: FetchFunction, jwksUri = jwks.jwksUri) =>
    createVerifier({
      providers: { p: { issuer: ISSUER, algorithms: ['ES256'], audiences: ['api'], jwksUri } },
      fetch: f,
    });

  describe('createSharedJwksFetch', () => {
    test('a second replica gets the JWKS from Redis without touching the network', async () => {
      const p = testPrefix();
      const before = jwks.jwksRequests;
      const a = replica(p);
      const first = await get(a.fetch, jwks.jwksUri);
      assert.equal(first.status, 200);
      assert.deepEqual(await first.json(), { keys: [keyPair.publicJwk] });
      assert.equal(jwks.jwksRequests, before + 1);
      assert.deepEqual(a.results, ['miss']);
      const ttl = await redis.pttl(sharedJwksKey(p, jwks.jwksUri));
      assert.ok(ttl > 110_000 && ttl <= 120_000, `stored for the response's max-age (${ttl} ms)`);

      const b = replica(p, {
        fetch: () => Promise.reject(new Error('replica B must not fetch')),
      });
      const second = await get(b.fetch, jwks.jwksUri);
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('content-type'), 'application/json');
      const maxAge = Number(/max-age=(\d+)/.exec(second.headers.get('cache-control') ?? '')?.[1]);
      assert.ok(maxAge > 110 && maxAge <= 120, `remaining lifetime passed on (${maxAge} s)`);
      assert.deepEqual(await second.json(), { keys: [keyPair.publicJwk] });
      assert.equal(b.calls, 0);
      assert.deepEqual(b.results, ['hit']);

      // And a verifier on replica C verifies with those keys, still without a request.
      const c = replica(p, { fetch: () => Promise.reject(new Error('replica C must not fetch')) });
      const { claims } = await verifierWith(c.fetch).verify(await sign());
      assert.equal(claims.sub, 'alice');
      assert.equal(c.calls, 0);
      assert.equal(jwks.jwksRequests, before + 1);
    });

    test('discovery documents are shared too: a verifier using issuer discovery makes no request on replica B', async () => {
      const p = testPrefix();
      const issuer = jwks.origin;
      jwks.routes.set('/.well-known/openid-configuration', {
        body: { issuer, jwks_uri: jwks.jwksUri },
        headers: { 'cache-control': 'max-age=60' },
      });
      const discover = (f: FetchFunction) =>
        createVerifier({
          providers: { p: { issuer, algorithms: ['ES256'], audiences: ['api'] } },
          fetch: f,
        });
      const token = await new SignJWT({ sub: 'bob' })
        .setProtectedHeader({ alg: 'ES256', kid: keyPair.kid })
        .setIssuer(issuer)
        .setAudience('api')
        .setExpirationTime('5m')
        .sign(keyPair.privateKey);
      const a = replica(p);
      assert.equal((await discover(a.fetch).verify(token)).claims.sub, 'bob');
      assert.ok(a.calls >= 2, 'replica A fetched metadata and keys');
      const b = replica(p, { fetch: () => Promise.reject(new Error('replica B must not fetch')) });
      assert.equal((await discover(b.fetch).verify(token)).claims.sub, 'bob');
      assert.equal(b.calls, 0);
      assert.ok(b.results.length >= 2 && b.results.every((r) => r === 'hit'), b.results.join());
    });

    test('an unknown kid (rotation) goes to the network and refreshes the shared copy for every replica', async () => {
      const p = testPrefix();
      const rotated = await makeKeyPair('ES256', 'rotated-key');
      const server = await startJwksServer([keyPair.publicJwk], { 'cache-control': 'max-age=300' });
      try {
        await (await get(replica(p).fetch, server.jwksUri)).json();
        const b = replica(p);
        const verifier = verifierWith(b.fetch, server.jwksUri);
        assert.equal((await verifier.verify(await sign())).claims.sub, 'alice');
        assert.deepEqual(b.results, ['hit']);
        assert.equal(server.jwksRequests, 1);
        server.jwks = { body: { keys: [keyPair.publicJwk, rotated.publicJwk] } };
        assert.equal((await verifier.verify(await sign(rotated))).claims.sub, 'alice');
        assert.equal(server.jwksRequests, 2, 'the refetch for the new kid reached the issuer');
        assert.deepEqual(b.results, ['hit', 'miss']);
        // A third replica gets the rotated set from Redis.
        const c = replica(p, { fetch: () => Promise.reject(new Error('replica C must not fetch')) });
        assert.equal(
          (await verifierWith(c.fetch, server.jwksUri).verify(await sign(rotated))).claims.sub,
          'alice',
        );
        assert.equal(server.jwksRequests, 2);
      } finally {
        await server.close();
      }
    });

    test('the stored lifetime is max-age within [1 s, 300 s], 60 s without one; no-store is not shared', async () => {
      const p = testPrefix();
      const cases: [string, Record<string, string>, [number, number] | null][] = [
        ['/long', { 'cache-control': 'max-age=86400' }, [295_000, 300_000]],
        ['/none', {}, [55_000, 60_000]],
        ['/zero', { 'cache-control': 'max-age=0' }, [1, 1000]],
        ['/no-store', { 'cache-control': 'no-store' }, null],
      ];
      const a = replica(p);
      for (const [path, headers, range] of cases) {
        jwks.routes.set(path, { body: { keys: [keyPair.publicJwk] }, headers });
        const res = await get(a.fetch, jwks.origin + path);
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { keys: [keyPair.publicJwk] });
        const ttl = await redis.pttl(sharedJwksKey(p, jwks.origin + path));
        if (range === null) assert.equal(ttl, -2, `${path}: not stored`);
        else assert.ok(ttl >= range[0] && ttl <= range[1], `${path}: stored for ${ttl} ms`);
      }
    });

    test('expiry is honoured: once the stored copy is older than its max-age, the network is asked again', async () => {
      const p = testPrefix();
      let now = 1_800_000_000_000;
      const clock = () => now;
      const a = replica(p, { now: clock });
      await (await get(a.fetch, jwks.jwksUri)).json();
      const b = replica(p, { now: clock });
      now += 119_500;
      const late = await get(b.fetch, jwks.jwksUri);
      assert.equal(late.headers.get('cache-control'), 'max-age=1');
      assert.deepEqual(b.results, ['hit']);
      now += 1000;
      const before = jwks.jwksRequests;
      const expired = await get(b.fetch, jwks.jwksUri);
      assert.equal(expired.status, 200);
      assert.deepEqual(await expired.json(), { keys: [keyPair.publicJwk] });
      assert.equal(jwks.jwksRequests, before + 1);
      assert.deepEqual(b.results, ['hit', 'miss']);
      // The fresh copy replaced the old one.
      const stored = JSON.parse((await redis.get(sharedJwksKey(p, jwks.jwksUri))) ?? '{}');
      assert.equal(stored.fetchedAt, now);
    });

    test('non-200 answers and non-JSON bodies are passed on and never stored', async () => {
      const p = testPrefix();
      const a = replica(p);
      const answers: [string, { status?: number; body: unknown }][] = [
        ['/error', { status: 500, body: { keys: [keyPair.publicJwk] } }],
        ['/missing', { status: 404, body: { keys: [keyPair.publicJwk] } }],
        ['/not-json', { body: '<html>maintenance</html>' }],
      ];
      for (const [path, reply] of answers) {
        jwks.routes.set(path, { ...reply, headers: { 'cache-control': 'max-age=120' } });
        const res = await get(a.fetch, jwks.origin + path);
        assert.equal(res.status, reply.status ?? 200);
        await res.text();
        assert.equal(await redis.exists(sharedJwksKey(p, jwks.origin + path)), 0, `${path} not stored`);
      }
      // Asked again: the network again (nothing was cached).
      const before = jwks.count('/error');
      assert.equal((await get(a.fetch, `${jwks.origin}/error`)).status, 500);
      assert.equal(jwks.count('/error'), before + 1);
    });

    test('a body over 256 KiB is passed on whole (the verifier rejects it) and not stored, with or without content-length', async () => {
      const p = testPrefix();
      const big = JSON.stringify({ keys: [keyPair.publicJwk], pad: 'x'.repeat(300 * 1024) });
      jwks.routes.set('/big', { body: big, headers: { 'content-type': 'application/json' } });
      jwks.routes.set('/big-chunked', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < big.length; i += 16 * 1024) res.write(big.slice(i, i + 16 * 1024));
        res.end();
        return undefined;
      });
      const a = replica(p);
      for (const path of ['/big', '/big-chunked']) {
        const res = await get(a.fetch, jwks.origin + path);
        assert.equal(res.status, 200);
        assert.equal((await res.text()).length, big.length, `${path}: the caller gets the whole body`);
        assert.equal(await redis.exists(sharedJwksKey(p, jwks.origin + path)), 0, `${path}: not stored`);
      }
      await assert.rejects(verifierWith(a.fetch, `${jwks.origin}/big`).verify(await sign()), {
        code: 'ERR_KEY_SOURCE_UNAVAILABLE',
      });
    });

    test('a malformed stored value is ignored and overwritten', async () => {
      const p = testPrefix();
      const key = sharedJwksKey(p, jwks.jwksUri);
      for (const junk of ['not json', '{"body":42}', '{"body":"{}","fetchedAt":"x","maxAgeMs":1}']) {
        const a = replica(p);
        await redis.set(key, junk, 'PX', 60_000);
        const before = jwks.jwksRequests;
        const res = await get(a.fetch, jwks.jwksUri);
        assert.deepEqual(await res.json(), { keys: [keyPair.publicJwk] });
        assert.equal(jwks.jwksRequests, before + 1);
        const stored = JSON.parse((await redis.get(key)) ?? '{}');
        assert.deepEqual(JSON.parse(stored.body), { keys: [keyPair.publicJwk] });
      }
    });

    test('Redis down: the real fetch runs and verification works', async () => {
      const down = new Redis(`redis://127.0.0.1:${await closedPort()}`, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        retryStrategy: () => 1000,
      });
      down.on('error', () => {});
      try {
        await eventually(() => down.status === 'reconnecting' || down.status === 'end', 3000, 'redis down');
        const a = replica(testPrefix(), { redis: () => down });
        const started = performance.now();
        const { claims } = await verifierWith(a.fetch).verify(await sign());
        assert.equal(claims.sub, 'alice');
        assert.ok(performance.now() - started < 1000, 'no wait for a broken connection');
        assert.equal(a.calls, 1);
        assert.deepEqual(a.results, ['error']);
        // Not configured at all: the same.
        const none = replica(testPrefix(), { redis: () => null });
        assert.equal((await get(none.fetch, jwks.jwksUri)).status, 200);
        assert.equal(none.calls, 1);
      } finally {
        down.disconnect();
      }
    });

    test('Redis slow: after the bound (redisTimeoutMs, default 200 ms) the real fetch runs', async () => {
      const hanging = { status: 'ready', get: () => new Promise(() => {}), set: () => new Promise(() => {}) };
      const a = replica(testPrefix(), { redis: () => hanging as unknown as Redis, redisTimeoutMs: 100 });
      const started = performance.now();
      const res = await get(a.fetch, jwks.jwksUri);
      const took = performance.now() - started;
      assert.deepEqual(await res.json(), { keys: [keyPair.publicJwk] });
      assert.ok(took >= 90 && took < 1000, `waited for Redis ${took} ms`);
      assert.deepEqual(a.results, ['error']);
    });

    test('other methods than GET pass straight through', async () => {
      const a = replica(testPrefix(), { redis: () => assert.fail('no Redis for a POST') });
      jwks.routes.set('/post', { body: { ok: true } });
      const res = await a.fetch(`${jwks.origin}/post`, { method: 'POST' });
      assert.equal(res.status, 200);
      assert.deepEqual(a.results, []);
    });
  });

  describe('gateways with redis.jwks_cache', () => {
    let upstream: Server;
    let upstreamUrl = '';
    const gateways: Gateway[] = [];

    before(async () => {
      upstream = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    });

    after(async () => {
      await Promise.all(gateways.map((g) => g.close(100)));
      await new Promise((r) => upstream.close(r));
    });

    async function start(keyPrefix: string, jwksCache: boolean, jwksUri: string) {
      const file = dir.write(
        `gw-${randomUUID()}.yaml`,
        stringify({
          gateway: {
            listen: '127.0.0.1:0',
            providers: {
              a: { issuer: ISSUER, jwks_uri: jwksUri, algorithms: ['ES256'], audiences: ['api'] },
            },
            routes: [route('api', '/api/**', { upstream: upstreamUrl })],
            redis: { url: REDIS_URL, key_prefix: keyPrefix, jwks_cache: jwksCache },
          },
        }),
      );
      const gateway = createGateway({ configFile: file, logger: log, port: 0 });
      gateways.push(gateway);
      const { port } = await gateway.start();
      const call = async (t: string) =>
        (await fetch(`http://127.0.0.1:${port}/api/x`, { headers: { authorization: `Bearer ${t}` } })).status;
      return { gateway, call };
    }

    const sharedCounter = async (g: Gateway) => {
      const text = await g.metrics.registry.metrics();
      const count = (result: string) =>
        Number(
          new RegExp(`^jwtgate_jwks_shared_cache_total\\{result="${result}"\\} (\\d+)`, 'm').exec(
            text,
          )?.[1] ?? 0,
        );
      return { hit: count('hit'), miss: count('miss') };
    };

    test('two gateways share one JWKS fetch; without jwks_cache each fetches its own', async () => {
      const p = testPrefix();
      // A key set of its own, so the count is this test's alone.
      const kp = await makeKeyPair('ES256', 'gateway-key');
      const server = await startJwksServer([kp.publicJwk], { 'cache-control': 'max-age=300' });
      try {
        const t = await sign(kp);
        const a = await start(p, true, server.jwksUri);
        assert.equal(await a.call(t), 200);
        assert.equal(server.jwksRequests, 1);
        const b = await start(p, true, server.jwksUri);
        assert.equal(await b.call(t), 200);
        assert.equal(server.jwksRequests, 1, 'gateway B read the key set from Redis');
        assert.deepEqual(await sharedCounter(a.gateway), { hit: 0, miss: 1 });
        assert.deepEqual(await sharedCounter(b.gateway), { hit: 1, miss: 0 });

        const c = await start(p, false, server.jwksUri);
        assert.equal(await c.call(t), 200);
        assert.equal(server.jwksRequests, 2, 'a gateway without jwks_cache fetches itself');
        assert.deepEqual(await sharedCounter(c.gateway), { hit: 0, miss: 0 });
      } finally {
        await server.close();
      }
    });
  });
});
