import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, describe, test } from 'node:test';
import { NOW_SECONDS, secretBytes, signToken } from '../../../../verify/test/helpers/keys.ts';
import { type CompiledGateway, compileGateway } from '../../../src/gateway/config/compile-gateway.ts';
import { configFromObject } from '../../../src/gateway/config/read-config.ts';
import type { RouteInput } from '../../../src/gateway/config/types.ts';
import { type Forwarding, prepareUpstream } from '../../../src/gateway/pipeline/prepare-upstream.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';
import { config, route } from '../helpers/config.ts';

const compiled: CompiledGateway[] = [];
after(async () => {
  for (const g of compiled) await g.pools.close();
});

function gateway(extra: Parameters<typeof config>[1] = {}, routes = defaultRoutes()): CompiledGateway {
  const g = compileGateway(configFromObject(config(routes, extra), 'test.yaml'), {
    revocations: new RevocationList(() => NOW_SECONDS * 1000),
    now: () => NOW_SECONDS * 1000,
  });
  compiled.push(g);
  return g;
}

function defaultRoutes() {
  return [
    route('pub', '/pub/**', { requires: undefined, public: true }),
    route('api', '/api/**', {
      identity_headers: { 'X-User-Id': 'sub' },
      requires: { provider: 'a', scopes_any: ['read'] },
    }),
  ];
}

function request(url: string, headers: Record<string, string> = {}, method = 'GET'): IncomingMessage {
  return {
    url,
    method,
    headers,
    rawHeaders: [],
    socket: { remoteAddress: '10.9.8.7' },
  } as unknown as IncomingMessage;
}

const token = (claims: Record<string, unknown> = {}) =>
  signToken(secretBytes(), {
    alg: 'HS256',
    iss: 'https://a.test',
    aud: 'api',
    claims: { sub: 'alice', scope: 'read', ...claims },
  });

const now = () => NOW_SECONDS * 1000;

describe('prepareUpstream: unsafe paths are refused before any route is matched', () => {
  const g = gateway();
  for (const path of [
    '/pub/../api/x',
    '/pub/..;/api/x',
    '/pub/%2e%2e/api/x',
    '/pub/.%2E/api',
    '/pub/x;jsessionid=1',
    '/pub/x%3bp',
    '/pub//x',
    '/pub/a%2fb',
    '/pub/a\\b',
    '/pub/a%00',
    '/pub/x#/../../api/x',
    '/pub/doc#frag',
  ]) {
    test(path, async () => {
      const out = await prepareUpstream(request(path), g, 'rid', now);
      assert.equal(out.ok, false);
      assert.equal(!out.ok && out.reason, 'ERR_PATH_INVALID');
      assert.equal(!out.ok && out.status, 400);
    });
  }
});

describe('prepareUpstream: headers a client may not send upstream', () => {
  test('identity, forwarding, override and underscore headers are dropped; the gateway sets its own', async () => {
    // method_override: strip, so the override header is removed rather than refused.
    const [pub, api] = defaultRoutes() as [RouteInput, RouteInput];
    const g = gateway({}, [pub, { ...api, method_override: 'strip' }]);
    const out = (await prepareUpstream(
      request('/api/x', {
        authorization: `Bearer ${await token()}`,
        'x-user-id': 'mallory',
        x_user_id: 'mallory',
        'x-jwtgate-role': 'admin',
        forwarded: 'for=1.2.3.4',
        'x-real-ip': '1.2.3.4',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil',
        'x-http-method-override': 'DELETE',
        'x-original-url': '/admin',
        expect: '100-continue',
        accept: 'application/json',
        host: 'gw.example',
      }),
      g,
      'rid',
      now,
    )) as Forwarding;
    assert.equal(out.ok, true);
    assert.equal(out.headers['x-user-id'], 'alice');
    assert.equal(out.headers['x-forwarded-for'], '10.9.8.7');
    assert.equal(out.headers['x-forwarded-host'], 'gw.example');
    assert.equal(out.headers.accept, 'application/json');
    for (const name of [
      'x_user_id',
      'x-jwtgate-role',
      'forwarded',
      'x-real-ip',
      'x-http-method-override',
      'x-original-url',
      'expect',
      'authorization',
      'host',
    ]) {
      assert.equal(out.headers[name], undefined, name);
    }
  });

  test('behind a trusted proxy X-Forwarded-For is appended to and Forwarded kept', async () => {
    const g = gateway({ trust_forwarded: true });
    const out = (await prepareUpstream(
      request('/pub/x', { 'x-forwarded-for': '1.1.1.1', forwarded: 'for=1.1.1.1' }),
      g,
      'rid',
      now,
    )) as Forwarding;
    assert.equal(out.headers['x-forwarded-for'], '1.1.1.1, 10.9.8.7');
    assert.equal(out.headers.forwarded, 'for=1.1.1.1');
  });
});

describe('prepareUpstream: tokens in the query', () => {
  test('the token parameter is removed from the upstream URL, other parameters stay', async () => {
    const g = gateway({
      providers: {
        a: { ...config([]).gateway.providers.a, token_from: [{ query: 'access_token' }] } as never,
        b: config([]).gateway.providers.b as never,
      },
    });
    const t = await token();
    const out = (await prepareUpstream(
      request(`/api/x?page=2&access_token=${t}&q=a`),
      g,
      'rid',
      now,
    )) as Forwarding;
    assert.equal(out.ok, true);
    assert.equal(out.path, '/api/x?page=2&q=a');
    assert.ok(!out.path.includes(t));
  });
});

describe('prepareUpstream: denials', () => {
  test('403 carries the route scope in WWW-Authenticate (RFC 6750 3)', async () => {
    const g = gateway();
    const out = await prepareUpstream(
      request('/api/x', { authorization: `Bearer ${await token({ scope: 'write' })}` }),
      g,
      'rid',
      now,
    );
    assert.equal(out.ok, false);
    if (out.ok) return;
    assert.equal(out.status, 403);
    assert.match(out.headers['www-authenticate'] ?? '', /error="insufficient_scope".*scope="read"/);
  });

  test('no route is 404, a method the route lacks is 405 with Allow', async () => {
    const g = gateway({}, [route('api', '/api/**', { match: { path: '/api/**', methods: ['GET'] } })]);
    const none = await prepareUpstream(request('/other'), g, 'rid', now);
    assert.equal(!none.ok && none.status, 404);
    const wrong = await prepareUpstream(request('/api/x', {}, 'DELETE'), g, 'rid', now);
    assert.equal(!wrong.ok && wrong.status, 405);
    assert.equal(!wrong.ok && wrong.headers.allow, 'GET');
  });
});
