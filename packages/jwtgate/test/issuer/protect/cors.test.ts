import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { answerPreflight, corsHeaders } from '../../../src/issuer/protect/cors.ts';

const REGISTERED = 'https://app.example';

describe('CORS', () => {
  let server: Server;
  let url = '';
  const asked: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      void answerPreflight(req, res, 'POST', async (origin) => {
        asked.push(origin);
        return origin === REGISTERED;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const options = (headers: Record<string, string>) => fetch(url, { method: 'OPTIONS', headers });
  const accessControl = (h: Headers) => [...h.keys()].filter((k) => k.startsWith('access-control-'));

  test('a registered origin gets the methods, the requested headers and a max age', async () => {
    const r = await options({
      origin: REGISTERED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'Content-Type, DPoP',
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), REGISTERED);
    assert.equal(r.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(r.headers.get('access-control-allow-headers'), 'content-type, dpop');
    assert.equal(r.headers.get('access-control-max-age'), '600');
    assert.match(r.headers.get('vary') ?? '', /Origin/);
    assert.equal(r.headers.get('access-control-allow-credentials'), null, 'no cookies, ever');
  });

  test('another origin, method or header: 403 and not one CORS header', async () => {
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      { origin: REGISTERED, 'access-control-request-method': 'PUT' },
      {
        origin: REGISTERED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'cookie',
      },
    ];
    for (const headers of refused) {
      const r = await options(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.deepEqual(accessControl(r.headers), []);
    }
  });

  test('an OPTIONS that is not a preflight is answered without CORS, and the store is not asked', async () => {
    asked.length = 0;
    const r = await options({});
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
    assert.deepEqual(accessControl(r.headers), []);
    assert.deepEqual(asked, []);
  });

  test('corsHeaders: only for an allowed origin', () => {
    assert.deepEqual(corsHeaders(undefined, true), { vary: 'Origin' });
    assert.deepEqual(corsHeaders(REGISTERED, false), { vary: 'Origin' });
    assert.equal(corsHeaders(REGISTERED, true)['access-control-allow-origin'], REGISTERED);
  });
});
