// The CORS step over HTTP, in process: a preflight answered before authentication (a route that
// takes only GET still answers it), refusals without CORS headers, and on forwarded answers the
// upstream's own Access-Control-* replaced by the gateway's, its Vary kept.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { stringify } from 'yaml';
import { secretBytes, signToken } from '../../../../verify/test/helpers/keys.ts';
import { createGateway, type Gateway } from '../../../src/gateway/create-gateway.ts';
import { config, route, SECRET_A, tempDir } from '../helpers/config.ts';

const APP = 'https://app.example.com';

describe('answerPreflight and the CORS headers of answers', () => {
  const dir = tempDir('cors');
  let upstream: Server;
  let gateway: Gateway;
  let base = '';
  let upstreamCalls = 0;

  before(async () => {
    upstream = createServer((_req, res) => {
      upstreamCalls++;
      res.writeHead(200, { vary: 'Accept-Encoding', 'access-control-allow-origin': '*' }).end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const up = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const file = dir.write(
      'gw.yaml',
      stringify(
        config(
          [
            route('api', '/api/**', { upstream: up, match: { path: '/api/**', methods: ['GET'] } }),
            route('open', '/open', { upstream: up, requires: undefined, public: true, cors: false }),
          ],
          { cors: { allow_origins: [APP] } },
        ),
      ),
    );
    gateway = createGateway({ configFile: file, logger: pino({ level: 'silent' }), port: 0, admin: false });
    base = `http://127.0.0.1:${(await gateway.start()).port}`;
  });

  after(async () => {
    await gateway.close(100);
    await new Promise((r) => upstream.close(r));
    dir.remove();
  });

  const preflight = (path: string, origin: string, method: string, headers = 'authorization') =>
    fetch(base + path, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });

  test('allowed: 204 from the gateway with no token, on a route without OPTIONS in its methods', async () => {
    const res = await preflight('/api/x', APP, 'GET');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization');
    assert.match(res.headers.get('vary') ?? '', /^Origin, /);
    assert.equal(upstreamCalls, 0);
  });

  test('refused: 403 with the reason, Vary, and no CORS header', async () => {
    for (const [origin, method, code] of [
      ['https://evil.example.com', 'GET', 'ERR_CORS_ORIGIN_NOT_ALLOWED'],
      [APP, 'GET', 'ERR_CORS_HEADER_NOT_ALLOWED'],
    ] as const) {
      const res = await preflight(
        '/api/x',
        origin,
        method,
        code.includes('HEADER') ? 'x-debug' : 'authorization',
      );
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: string }).error, code);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.ok(res.headers.get('vary'));
    }
    // A method the route does not take: no route for the real request, so the usual 404 / 405.
    assert.equal((await preflight('/api/x', APP, 'DELETE')).status, 405);
  });

  test("forwarded answers: the upstream's Access-Control-* replaced by the gateway's, Vary merged", async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await signToken(secretBytes(SECRET_A), {
      alg: 'HS256',
      iss: 'https://a.test',
      aud: 'api',
      exp: now + 60,
      claims: { iat: now },
    });
    const ok = await fetch(`${base}/api/x`, { headers: { origin: APP, authorization: `Bearer ${t}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP);
    assert.equal(ok.headers.get('vary'), 'Accept-Encoding, Origin');
    const other = await fetch(`${base}/api/x`, {
      headers: { origin: 'https://evil.example.com', authorization: `Bearer ${t}` },
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null, "the upstream's * is not passed on");
    const denied = await fetch(`${base}/api/x`, { headers: { origin: APP } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), APP, 'a refusal is readable by the page');
  });

  test('cors: false on a route: no CORS there, the preflight goes on to the route', async () => {
    const res = await preflight('/open', APP, 'GET');
    assert.equal(res.headers.get('access-control-allow-origin'), '*', "the upstream's own answer");
    assert.equal(res.status, 200);
  });
});
