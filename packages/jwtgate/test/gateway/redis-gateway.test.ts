// Gateways sharing one Redis: revocations posted to one replica's admin API reach the other, a rate
// limit holds across both, and Redis being down is handled as `on_failure` says.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pino from 'pino';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../../src/gateway/create-gateway.ts';
import { config, route, SECRET_A, tempDir } from './helpers/config.ts';
import { closedPort, deleteKeys, eventually, REDIS_URL, uniquePrefix, withRedis } from './helpers/redis.ts';

const log = pino({ level: 'silent' });

async function token(
  jti = randomUUID(),
  sub = 'alice',
): Promise<{ token: string; jti: string; exp: number }> {
  const exp = Math.floor(Date.now() / 1000) + 600;
  const t = await new SignJWT({ sub, jti })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://a.test')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(SECRET_A));
  return { token: t, jti, exp };
}

await withRedis('Gateways on Redis', () => {
  const prefix = uniquePrefix();
  const dir = tempDir('redis');
  const redis = new Redis(REDIS_URL);
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
    await deleteKeys(redis, prefix);
    redis.disconnect();
    dir.remove();
  });

  async function start(redisUrl: string, onFailure: 'open' | 'closed', keyPrefix = prefix) {
    const file = dir.write(
      `gw-${randomUUID()}.yaml`,
      stringify(
        config(
          [
            route('api', '/api/**', { upstream: upstreamUrl }),
            route('limited', '/limited', {
              upstream: upstreamUrl,
              rate_limit: { requests_per_second: 0.01, burst: 2 },
            }),
          ],
          { redis: { url: redisUrl, key_prefix: keyPrefix, on_failure: onFailure } },
        ),
      ),
    );
    const gateway = createGateway({ configFile: file, logger: log, port: 0, adminPort: 0 });
    gateways.push(gateway);
    const ports = await gateway.start();
    const base = `http://127.0.0.1:${ports.port}`;
    const admin = `http://127.0.0.1:${ports.adminPort}`;
    const get = (path: string, t: string) =>
      fetch(base + path, { headers: { authorization: `Bearer ${t}` } });
    return { gateway, get, admin };
  }

  describe('gateways sharing Redis', () => {
    test('a revocation posted to gateway A denies the token at gateway B within a second', async () => {
      const a = await start(REDIS_URL, 'open');
      const b = await start(REDIS_URL, 'open');
      await eventually(() => a.gateway.redis?.up === true && b.gateway.redis?.up === true, 3000, 'redis up');
      const t = await token();
      assert.equal((await b.get('/api/x', t.token)).status, 200);
      const posted = performance.now();
      const res = await fetch(`${a.admin}/revocations`, {
        method: 'POST',
        body: JSON.stringify({ jti: t.jti, exp: t.exp }),
      });
      assert.equal(res.status, 204);
      let status = 200;
      while (status === 200 && performance.now() - posted < 1000) {
        status = (await b.get('/api/x', t.token)).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 401, 'gateway B denies the revoked token within one second');
      const ready = (await (await fetch(`${b.admin}/readyz`)).json()) as { redis?: { state: string } };
      assert.equal(ready.redis?.state, 'up');
    });

    test('a rate limit of burst 2 holds across both gateways together', async () => {
      const a = await start(REDIS_URL, 'open');
      const b = await start(REDIS_URL, 'closed');
      await eventually(() => a.gateway.redis?.up === true && b.gateway.redis?.up === true, 3000, 'redis up');
      const t = await token(randomUUID(), `limited-${randomUUID()}`);
      assert.equal((await a.get('/limited', t.token)).status, 200);
      assert.equal((await b.get('/limited', t.token)).status, 200);
      const third = await a.get('/limited', t.token);
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers.get('retry-after')) >= 1);
      assert.equal((await b.get('/limited', t.token)).status, 429);
    });

    test('Redis down, on_failure open: keeps serving and enforcing known revocations; /readyz reports redis down', async () => {
      const down = `redis://127.0.0.1:${await closedPort()}`;
      const g = await start(down, 'open', `${prefix}down-open:`);
      const t = await token();
      const revoked = await token();
      assert.equal((await g.get('/api/x', t.token)).status, 200);
      const post = await fetch(`${g.admin}/revocations`, {
        method: 'POST',
        body: JSON.stringify({ jti: revoked.jti, exp: revoked.exp }),
      });
      assert.equal(post.status, 503, 'the other replicas could not be told');
      assert.equal((await g.get('/api/x', revoked.token)).status, 401, 'still enforced locally');
      const limited = await token(randomUUID(), `local-${randomUUID()}`);
      assert.equal((await g.get('/limited', limited.token)).status, 200);
      assert.equal((await g.get('/limited', limited.token)).status, 200);
      assert.equal((await g.get('/limited', limited.token)).status, 429, 'the local bucket stands in');
      const ready = await fetch(`${g.admin}/readyz`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { redis?: { state: string; on_failure: string } };
      assert.deepEqual([body.redis?.state, body.redis?.on_failure], ['down', 'open']);
    });

    test('Redis down, on_failure closed: authenticated routes answer 503 and /readyz is not ready', async () => {
      const down = `redis://127.0.0.1:${await closedPort()}`;
      const g = await start(down, 'closed', `${prefix}down-closed:`);
      const t = await token();
      const res = await g.get('/api/x', t.token);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, 'ERR_REDIS_UNAVAILABLE');
      const ready = await fetch(`${g.admin}/readyz`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { redis?: { state: string } };
      assert.equal(body.redis?.state, 'down');
    });

    test('on_failure closed with Redis up serves normally', async () => {
      const g = await start(REDIS_URL, 'closed', `${prefix}up-closed:`);
      await eventually(() => g.gateway.redis?.up === true, 3000, 'redis up');
      assert.equal((await g.get('/api/x', (await token()).token)).status, 200);
    });
  });
});
