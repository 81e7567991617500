import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import express, { type Request, type Response } from 'express';
import { type AuthenticatedRequest, createExpressMiddleware } from '../../src/adapters/express.ts';
import { JwtGateError } from '../../src/errors.ts';
import {
  assertDenied,
  baseUrl,
  call,
  closeServer,
  denials,
  expiredToken,
  fetched,
  forgedToken,
  goodToken,
  makeVerifier,
} from './fixtures.ts';

describe('Express middleware', () => {
  const verifier = makeVerifier();
  const log = denials();
  let handled = 0;
  let server: Server;
  let url: string;

  function handler(req: Request, res: Response): void {
    handled++;
    const auth = (req as unknown as AuthenticatedRequest).auth;
    res.json({ provider: auth?.provider, alg: auth?.alg, claims: auth?.claims });
  }

  before(async () => {
    const app = express();
    const onDenied = log.onDenied;
    app.get('/me', createExpressMiddleware({ verifier, onDenied }), handler);
    app.get(
      '/billing',
      createExpressMiddleware({
        verifier,
        onDenied,
        realm: 'billing',
        require: { rolesAny: ['billing', 'admin'] },
      }),
      handler,
    );
    app.get(
      '/reports',
      createExpressMiddleware({ verifier, onDenied, require: { scopesAll: ['reports:read'] } }),
      handler,
    );
    app.get(
      '/tutorial',
      createExpressMiddleware({ verifier, onDenied, tokenFrom: [{ header: 'Token' }] }),
      handler,
    );
    app.get(
      '/either',
      createExpressMiddleware({ verifier, onDenied, tokenFrom: [{ header: 'Token' }, { bearer: true }] }),
      handler,
    );
    app.get(
      '/throwing-log',
      createExpressMiddleware({
        verifier,
        onDenied: () => {
          throw new Error('log sink down');
        },
      }),
      handler,
    );
    app.get('/public', (_req, res) => {
      res.json({ open: true });
    });
    await new Promise<void>((resolve, reject) => {
      server = app.listen(0, '127.0.0.1', (e?: Error) => (e ? reject(e) : resolve()));
    });
    url = baseUrl(server);
  });

  after(() => closeServer(server));

  beforeEach(() => {
    handled = 0;
    log.seen.length = 0;
  });

  test('a valid token reaches the handler with req.auth', async () => {
    const token = await goodToken({ roles: ['reader'] });
    const a = await call(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(a.status, 200);
    const body = a.body as { provider: string; alg: string; claims: Record<string, unknown> };
    assert.equal(body.provider, 'test');
    assert.equal(body.alg, 'HS256');
    assert.equal(body.claims.sub, 'alice');
    assert.deepEqual(body.claims.roles, ['reader']);
    assert.equal(handled, 1);
    assert.equal(log.seen.length, 0);
  });

  test('no token: 401 with a bare Bearer challenge and the JSON body; handler not called', async () => {
    const a = await call(`${url}/me`);
    assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer');
    assert.deepEqual(a.body, { error: 'ERR_TOKEN_MISSING', message: 'No Authorization Token provided' });
    assert.equal(handled, 0);
  });

  test('no token on a route with a realm: the challenge names the realm', async () => {
    const a = await call(`${url}/billing`);
    assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer realm="billing"');
  });

  test('a forged token: 401 invalid_token', async () => {
    const a = await call(`${url}/me`, { headers: { authorization: `Bearer ${await forgedToken()}` } });
    assertDenied(
      fetched(a),
      401,
      'ERR_SIGNATURE_INVALID',
      /^Bearer error="invalid_token", error_description="/,
    );
    assert.equal(handled, 0);
  });

  test('an expired token (injected clock): 401 ERR_TOKEN_EXPIRED', async () => {
    const a = await call(`${url}/me`, { headers: { authorization: `Bearer ${await expiredToken()}` } });
    assertDenied(fetched(a), 401, 'ERR_TOKEN_EXPIRED', /error="invalid_token"/);
  });

  test('a token that is not a JWT: 401 ERR_TOKEN_MALFORMED', async () => {
    const a = await call(`${url}/me`, { headers: { authorization: 'Bearer not-a-jwt' } });
    assertDenied(fetched(a), 401, 'ERR_TOKEN_MALFORMED', /error="invalid_token"/);
  });

  test('require: a token without the role is 403 insufficient_scope; with it, 200', async () => {
    const without = await call(`${url}/billing`, {
      headers: { authorization: `Bearer ${await goodToken({ roles: ['reader'] })}` },
    });
    assertDenied(
      fetched(without),
      403,
      'ERR_INSUFFICIENT_ROLE',
      /^Bearer realm="billing", error="insufficient_scope", error_description="/,
    );
    assert.equal(handled, 0);
    const withRole = await call(`${url}/billing`, {
      headers: { authorization: `Bearer ${await goodToken({ roles: ['admin'] })}` },
    });
    assert.equal(withRole.status, 200);
    assert.equal(handled, 1);
  });

  test('require scopes: 403 names the required scope in the challenge', async () => {
    const a = await call(`${url}/reports`, {
      headers: { authorization: `Bearer ${await goodToken({ scope: 'reports:write' })}` },
    });
    assertDenied(
      fetched(a),
      403,
      'ERR_INSUFFICIENT_SCOPE',
      /error="insufficient_scope".*, scope="reports:read"$/,
    );
    const ok = await call(`${url}/reports`, {
      headers: { authorization: `Bearer ${await goodToken({ scope: 'openid reports:read' })}` },
    });
    assert.equal(ok.status, 200);
  });

  test('two tokens (Token header + Bearer): 400 invalid_request', async () => {
    const token = await goodToken();
    const a = await call(`${url}/either`, { headers: { token, authorization: `Bearer ${token}` } });
    assertDenied(fetched(a), 400, 'ERR_INVALID_REQUEST', /^Bearer error="invalid_request"/);
    assert.equal(handled, 0);
  });

  test('two Authorization values in one request: 400 invalid_request', async () => {
    const token = await goodToken();
    const headers = new Headers();
    headers.append('authorization', `Bearer ${token}`);
    headers.append('authorization', `Bearer ${token}`);
    const a = await call(`${url}/me`, { headers });
    assertDenied(fetched(a), 400, 'ERR_INVALID_REQUEST', /error="invalid_request"/);
  });

  test('the tutorial Token header via tokenFrom', async () => {
    const token = await goodToken({ name: 'tutorial' });
    const a = await call(`${url}/tutorial`, { headers: { Token: token } });
    assert.equal(a.status, 200);
    assert.equal((a.body as { claims: { name: string } }).claims.name, 'tutorial');
    // Only the configured source counts: a Bearer token on that route is missing.
    const bearer = await call(`${url}/tutorial`, { headers: { authorization: `Bearer ${token}` } });
    assertDenied(fetched(bearer), 401, 'ERR_TOKEN_MISSING', 'Bearer');
    // A route with both sources accepts either one.
    assert.equal((await call(`${url}/either`, { headers: { TOKEN: token } })).status, 200);
    assert.equal(
      (await call(`${url}/either`, { headers: { authorization: `bearer ${token}` } })).status,
      200,
    );
  });

  test('onDenied receives the JwtGateError and the request', async () => {
    await call(`${url}/me?x=1`);
    await call(`${url}/billing`, { headers: { authorization: `Bearer ${await goodToken()}` } });
    assert.equal(log.seen.length, 2);
    const [first, second] = log.seen;
    assert.ok(first?.error instanceof JwtGateError);
    assert.equal(first.error.code, 'ERR_TOKEN_MISSING');
    assert.equal(first.url, '/me?x=1');
    assert.ok(second?.error instanceof JwtGateError);
    assert.equal(second.error.code, 'ERR_INSUFFICIENT_ROLE');
    assert.equal(second.error.status, 403);
  });

  test('an unguarded route stays open', async () => {
    const a = await call(`${url}/public`);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { open: true });
  });

  test('an onDenied hook that throws does not stop the denial from being sent', async () => {
    const a = await call(`${url}/throwing-log`, {
      headers: { authorization: `Bearer ${await forgedToken()}` },
      signal: AbortSignal.timeout(2000),
    });
    assertDenied(fetched(a), 401, 'ERR_SIGNATURE_INVALID', /error="invalid_token"/);
    assert.equal(handled, 0);
  });
});
