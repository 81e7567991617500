import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyRequest, type LightMyRequestResponse } from 'fastify';
import { jwtGatePlugin } from '../../src/adapters/fastify.ts';
import type { VerifiedToken } from '../../src/create-verifier.ts';
import { JwtGateError } from '../../src/errors.ts';
import {
  assertDenied,
  baseUrl,
  call,
  denials,
  expiredToken,
  fetched,
  forgedToken,
  goodToken,
  makeVerifier,
} from './fixtures.ts';

const authOf = (req: FastifyRequest) => (req as unknown as { auth: VerifiedToken | null }).auth;

function injected(r: LightMyRequestResponse) {
  const header = (name: string) => {
    const v = r.headers[name];
    return v === undefined ? undefined : String(v);
  };
  const json = (header('content-type') ?? '').includes('json');
  return { status: r.statusCode, header, body: json ? r.json() : r.body };
}

describe('Fastify plugin', () => {
  const verifier = makeVerifier();
  const log = denials();
  let app: FastifyInstance;
  let url: string;
  let handled = 0;
  let preParsing = 0;

  before(async () => {
    app = Fastify();
    const onDenied = log.onDenied;
    // Outside any guarded scope.
    app.get('/public', async () => ({ open: true }));
    app.post('/public-echo', async (req) => ({ body: req.body }));

    // The documented usage: register the plugin in a scope, add routes next to it.
    app.register(async (scope) => {
      await scope.register(jwtGatePlugin, { verifier, onDenied });
      scope.addHook('preParsing', async () => {
        preParsing++;
      });
      scope.get('/me', async (req) => {
        handled++;
        const auth = authOf(req);
        return { provider: auth?.provider, claims: auth?.claims };
      });
      scope.post('/me', async (req) => {
        handled++;
        return { sub: authOf(req)?.claims.sub, body: req.body };
      });
      // A nested scope inherits the guard.
      scope.register(async (child) => {
        child.get('/nested', async (req) => ({ sub: authOf(req)?.claims.sub }));
      });
    });

    app.register(async (scope) => {
      await scope.register(jwtGatePlugin, {
        verifier,
        onDenied,
        realm: 'billing',
        require: { rolesAny: ['billing'], scopesAny: ['invoices:read'] },
      });
      scope.get('/billing', async (req) => ({ sub: authOf(req)?.claims.sub }));
    });

    app.register(async (scope) => {
      await scope.register(jwtGatePlugin, { verifier, onDenied, tokenFrom: [{ header: 'Token' }] });
      scope.get('/tutorial', async (req) => ({ claims: authOf(req)?.claims }));
    });

    app.register(async (scope) => {
      await scope.register(jwtGatePlugin, {
        verifier,
        onDenied,
        tokenFrom: [{ header: 'Token' }, { bearer: true }],
      });
      scope.get('/either', async (req) => ({ sub: authOf(req)?.claims.sub }));
    });

    // A sibling scope registered after the guarded ones is not guarded either.
    app.register(async (scope) => {
      scope.get('/sibling', async (req) => ({ auth: authOf(req) ?? null }));
    });

    await app.listen({ port: 0, host: '127.0.0.1' });
    url = baseUrl(app.server as Server);
  });

  after(async () => {
    (app.server as Server).closeAllConnections();
    await app.close();
  });

  beforeEach(() => {
    handled = 0;
    preParsing = 0;
    log.seen.length = 0;
  });

  describe('over HTTP (fetch)', () => {
    test('a valid token reaches the handler with request.auth', async () => {
      const a = await call(`${url}/me`, {
        headers: { authorization: `Bearer ${await goodToken({ roles: ['reader'] })}` },
      });
      assert.equal(a.status, 200);
      const body = a.body as { provider: string; claims: Record<string, unknown> };
      assert.equal(body.provider, 'test');
      assert.equal(body.claims.sub, 'alice');
      assert.deepEqual(body.claims.roles, ['reader']);
      assert.equal(handled, 1);
      assert.equal(log.seen.length, 0);
    });

    test('no token: 401, bare Bearer challenge, JSON body; handler not called', async () => {
      const a = await call(`${url}/me`);
      assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer');
      assert.deepEqual(a.body, { error: 'ERR_TOKEN_MISSING', message: 'No Authorization Token provided' });
      assert.equal(handled, 0);
    });

    test('a forged token: 401 invalid_token', async () => {
      const a = await call(`${url}/me`, { headers: { authorization: `Bearer ${await forgedToken()}` } });
      assertDenied(fetched(a), 401, 'ERR_SIGNATURE_INVALID', /^Bearer error="invalid_token"/);
      assert.equal(handled, 0);
    });

    test('require: missing role is 403 with realm and scope attribute', async () => {
      const a = await call(`${url}/billing`, {
        headers: {
          authorization: `Bearer ${await goodToken({ roles: ['reader'], scope: 'invoices:read' })}`,
        },
      });
      assertDenied(
        fetched(a),
        403,
        'ERR_INSUFFICIENT_ROLE',
        /^Bearer realm="billing", error="insufficient_scope", .*scope="invoices:read"$/,
      );
    });

    test('two tokens: 400 invalid_request', async () => {
      const token = await goodToken();
      const a = await call(`${url}/either`, { headers: { Token: token, authorization: `Bearer ${token}` } });
      assertDenied(fetched(a), 400, 'ERR_INVALID_REQUEST', /^Bearer error="invalid_request"/);
    });

    test('the tutorial Token header via tokenFrom', async () => {
      const token = await goodToken({ name: 'tutorial' });
      const a = await call(`${url}/tutorial`, { headers: { Token: token } });
      assert.equal(a.status, 200);
      assert.equal((a.body as { claims: { name: string } }).claims.name, 'tutorial');
      const bearer = await call(`${url}/tutorial`, { headers: { authorization: `Bearer ${token}` } });
      assertDenied(fetched(bearer), 401, 'ERR_TOKEN_MISSING', 'Bearer');
    });
  });

  describe('runs in onRequest, before the body is read', () => {
    test('a POST with invalid JSON and no token is 401, not a 400 parse error', async () => {
      const a = await call(`${url}/me`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"this is": not json',
      });
      assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer');
      assert.equal(preParsing, 0, 'the body stream was never reached');
      assert.equal(handled, 0);
    });

    test('with a valid token the same body does reach the parser (and fails there)', async () => {
      const a = await call(`${url}/me`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await goodToken()}` },
        body: '{"this is": not json',
      });
      assert.equal(a.status, 400);
      assert.equal(preParsing, 1);
    });

    test('a valid token and a valid body reach the handler', async () => {
      const a = await call(`${url}/me`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await goodToken()}` },
        body: '{"n":1}',
      });
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, { sub: 'alice', body: { n: 1 } });
    });

    test('a bad token on a POST is rejected before parsing too', async () => {
      const r = await app.inject({
        method: 'POST',
        url: '/me',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await expiredToken()}` },
        payload: '{broken',
      });
      assertDenied(injected(r), 401, 'ERR_TOKEN_EXPIRED', /error="invalid_token"/);
      assert.equal(preParsing, 0);
    });
  });

  describe('encapsulation', () => {
    test('routes registered outside the plugin scope are not guarded', async () => {
      const open = await call(`${url}/public`);
      assert.equal(open.status, 200);
      assert.deepEqual(open.body, { open: true });
      const sibling = await app.inject({ method: 'GET', url: '/sibling' });
      assert.equal(sibling.statusCode, 200);
      const echo = await app.inject({ method: 'POST', url: '/public-echo', payload: { a: 1 } });
      assert.equal(echo.statusCode, 200);
      assert.deepEqual(echo.json(), { body: { a: 1 } });
      assert.equal(log.seen.length, 0);
    });

    test('routes of a nested scope inside the guarded scope are guarded', async () => {
      const denied = await app.inject({ method: 'GET', url: '/nested' });
      assertDenied(injected(denied), 401, 'ERR_TOKEN_MISSING', 'Bearer');
      const ok = await app.inject({
        method: 'GET',
        url: '/nested',
        headers: { authorization: `Bearer ${await goodToken()}` },
      });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { sub: 'alice' });
    });

    test('each scope applies its own options: the billing requirement does not leak to /me', async () => {
      const token = await goodToken();
      const me = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(me.statusCode, 200);
      const billing = await app.inject({
        method: 'GET',
        url: '/billing',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(billing.statusCode, 403);
    });

    test('registered at the root, the plugin guards every route of the app', async () => {
      const root = Fastify();
      try {
        await root.register(jwtGatePlugin, { verifier });
        root.get('/a', async (req) => ({ sub: authOf(req)?.claims.sub }));
        root.register(async (child) => {
          child.get('/b', async () => ({ ok: true }));
        });
        assert.equal((await root.inject({ method: 'GET', url: '/a' })).statusCode, 401);
        assert.equal((await root.inject({ method: 'GET', url: '/b' })).statusCode, 401);
        const ok = await root.inject({
          method: 'GET',
          url: '/a',
          headers: { authorization: `Bearer ${await goodToken()}` },
        });
        assert.equal(ok.statusCode, 200);
        assert.deepEqual(ok.json(), { sub: 'alice' });
      } finally {
        await root.close();
      }
    });
  });

  describe('with app.inject()', () => {
    test('valid token: request.auth carries the claims', async () => {
      const r = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `BEARER ${await goodToken({ scope: 'a b' })}` },
      });
      assert.equal(r.statusCode, 200);
      const body = r.json() as { claims: Record<string, unknown> };
      assert.equal(body.claims.scope, 'a b');
      assert.equal(body.claims.iss, 'https://issuer.test');
    });

    test('no token: 401 with challenge and tutorial message', async () => {
      const r = await app.inject({ method: 'GET', url: '/billing' });
      assertDenied(injected(r), 401, 'ERR_TOKEN_MISSING', 'Bearer realm="billing"');
      assert.deepEqual(r.json(), { error: 'ERR_TOKEN_MISSING', message: 'No Authorization Token provided' });
    });

    test('require met: role and scope present', async () => {
      const r = await app.inject({
        method: 'GET',
        url: '/billing',
        headers: {
          authorization: `Bearer ${await goodToken({ roles: ['billing'], scope: 'invoices:read' })}`,
        },
      });
      assert.equal(r.statusCode, 200);
    });

    test('role present, scope missing: 403 ERR_INSUFFICIENT_SCOPE', async () => {
      const r = await app.inject({
        method: 'GET',
        url: '/billing',
        headers: { authorization: `Bearer ${await goodToken({ roles: ['billing'], scope: 'other' })}` },
      });
      assertDenied(injected(r), 403, 'ERR_INSUFFICIENT_SCOPE', /scope="invoices:read"$/);
    });

    test('the tutorial Token header (any case) and two tokens', async () => {
      const token = await goodToken();
      assert.equal(
        (await app.inject({ method: 'GET', url: '/tutorial', headers: { TOKEN: token } })).statusCode,
        200,
      );
      const both = await app.inject({
        method: 'GET',
        url: '/either',
        headers: { token, authorization: `Bearer ${token}` },
      });
      assertDenied(injected(both), 400, 'ERR_INVALID_REQUEST', /error="invalid_request"/);
    });

    test('onDenied receives the JwtGateError and the request', async () => {
      await app.inject({ method: 'GET', url: '/me?from=inject' });
      await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `Bearer ${await forgedToken()}` },
      });
      assert.equal(log.seen.length, 2);
      const [first, second] = log.seen;
      assert.ok(first?.error instanceof JwtGateError);
      assert.equal(first.error.code, 'ERR_TOKEN_MISSING');
      assert.equal(first.url, '/me?from=inject');
      assert.ok(second?.error instanceof JwtGateError);
      assert.equal(second.error.code, 'ERR_SIGNATURE_INVALID');
    });

    test('an onDenied hook that throws still yields the 401 denial (not a 500)', async () => {
      const other = Fastify();
      try {
        await other.register(jwtGatePlugin, {
          verifier,
          onDenied: () => {
            throw new Error('log sink down');
          },
        });
        other.get('/x', async () => ({ ok: true }));
        const r = await other.inject({ method: 'GET', url: '/x' });
        assertDenied(injected(r), 401, 'ERR_TOKEN_MISSING', 'Bearer');
      } finally {
        await other.close();
      }
    });
  });
});
