// End to end over HTTP on 127.0.0.1: the issuer's OAuth endpoints (client credentials with each
// client authentication method, RFC 6749 5.2 errors, RFC 9068 tokens verified by @jwtgate/verify
// through discovery alone, metadata, introspection, revocation, protection) and openid-client.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createVerifier } from '@jwtgate/verify';
import { generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'openid-client';
import {
  AUDIENCE,
  decodePart,
  getToken,
  makeClientKey,
  postForm,
  registerClient,
  startTestIssuer,
  type TestIssuer,
} from '../issuer/helpers.ts';

const GRANT = { grant_type: 'client_credentials' };

function assertOAuthError(
  r: { status: number; headers: Headers; body: Record<string, unknown> },
  status: number,
  error: string,
) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error, error);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.body.access_token, undefined);
}

describe('jwtgate issuer: OAuth 2.0 client credentials', () => {
  let t: TestIssuer;
  let secret: string;
  let postSecret: string;
  let multiSecret: string;
  let clientKey: Awaited<ReturnType<typeof makeClientKey>>;
  let tokenUrl: string;

  before(async () => {
    t = await startTestIssuer();
    tokenUrl = `${t.url}/token`;
    secret = (await registerClient(t.store, {
      id: 'billing-worker',
      scopes: ['invoices:read', 'invoices:write'],
      roles: ['billing', 'reporting'],
      claims: { tenant: 'acme', tier: 3 },
    })) as string;
    postSecret = (await registerClient(t.store, {
      id: 'post-client',
      authMethod: 'client_secret_post',
      scopes: ['read'],
    })) as string;
    multiSecret = (await registerClient(t.store, {
      id: 'multi',
      audiences: [AUDIENCE, 'https://reports.example'],
      scopes: ['read'],
    })) as string;
    clientKey = await makeClientKey('ES256');
    await registerClient(t.store, {
      id: 'jwt-client',
      authMethod: 'private_key_jwt',
      jwks: clientKey.jwks,
      scopes: ['read'],
      roles: ['robot'],
    });
  });

  after(() => t.close());

  test('client_secret_basic: an RFC 9068 JWT access token with every claim', async () => {
    const r = await postForm(tokenUrl, GRANT, { id: 'billing-worker', secret, method: 'basic' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.expires_in, 300);
    // RFC 6749 3.3: no scope requested -> the registered scopes.
    assert.equal(r.body.scope, 'invoices:read invoices:write');
    const token = r.body.access_token as string;
    const header = decodePart(token, 0);
    const claims = decodePart(token, 1);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [header.kid],
    );
    assert.equal(claims.iss, t.url);
    assert.equal(claims.sub, 'billing-worker');
    assert.equal(claims.client_id, 'billing-worker');
    assert.equal(claims.aud, AUDIENCE);
    assert.equal(claims.scope, 'invoices:read invoices:write');
    assert.deepEqual(claims.roles, ['billing', 'reporting']);
    assert.equal(claims.tenant, 'acme');
    assert.equal(claims.tier, 3);
    assert.equal(typeof claims.jti, 'string');
    assert.ok((claims.jti as string).length >= 20);
    assert.equal((claims.exp as number) - (claims.iat as number), 300);
    assert.ok(Math.abs((claims.iat as number) - Date.now() / 1000) < 5);
  });

  test('the token verifies with @jwtgate/verify through discovery alone', async () => {
    const token = await getToken(t.url, 'billing-worker', secret, { scope: 'invoices:read' });
    const verifier = createVerifier({
      providers: {
        issuer: { issuer: t.url, audiences: [AUDIENCE], algorithms: ['ES256'], tokenTypes: ['at+jwt'] },
      },
    });
    const { claims, header } = await verifier.verify(token);
    assert.equal(claims.sub, 'billing-worker');
    assert.equal(claims.scope, 'invoices:read');
    assert.equal(header.typ, 'at+jwt');
  });

  test('client_secret_post', async () => {
    const r = await postForm(tokenUrl, GRANT, { id: 'post-client', secret: postSecret, method: 'post' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(decodePart(r.body.access_token as string, 1).client_id, 'post-client');
  });

  test('private_key_jwt with a client key pair; a replayed assertion is refused', async () => {
    const assertion = await clientKey.assertion('jwt-client', t.url);
    const params = {
      ...GRANT,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    const r = await postForm(tokenUrl, params);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const claims = decodePart(r.body.access_token as string, 1);
    assert.equal(claims.sub, 'jwt-client');
    assert.deepEqual(claims.roles, ['robot']);
    // RFC 7523 3 item 7: the jti of an assertion may be used once.
    assertOAuthError(await postForm(tokenUrl, params), 401, 'invalid_client');
    // An assertion signed by another key.
    const stranger = await makeClientKey('ES256', 'client-key-1');
    const forged = await stranger.assertion('jwt-client', t.url);
    assertOAuthError(
      await postForm(tokenUrl, { ...params, client_assertion: forged }),
      401,
      'invalid_client',
    );
  });

  test('wrong secret over Basic: 401 invalid_client with WWW-Authenticate', async () => {
    const r = await postForm(tokenUrl, GRANT, {
      id: 'billing-worker',
      secret: `${secret}x`,
      method: 'basic',
    });
    assertOAuthError(r, 401, 'invalid_client');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm=".+", error="invalid_client"/);
  });

  test('wrong secret in the body: 401 invalid_client (no WWW-Authenticate: none was used)', async () => {
    const r = await postForm(tokenUrl, GRANT, {
      id: 'post-client',
      secret: 'not-the-secret',
      method: 'post',
    });
    assertOAuthError(r, 401, 'invalid_client');
    assert.equal(r.headers.get('www-authenticate'), null);
  });

  test('unknown client: 401 invalid_client', async () => {
    const r = await postForm(tokenUrl, GRANT, { id: 'nobody', secret: 'whatever', method: 'basic' });
    assertOAuthError(r, 401, 'invalid_client');
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_client"/);
  });

  test('wrong grant: 400 unsupported_grant_type; none: 400 invalid_request', async () => {
    const auth = { id: 'billing-worker', secret, method: 'basic' as const };
    for (const grant of ['password', 'urn:example:grant']) {
      assertOAuthError(await postForm(tokenUrl, { grant_type: grant }, auth), 400, 'unsupported_grant_type');
    }
    // The users' grants exist, but not for a client registered without them.
    const code = {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: 'https://a.example/cb',
      code_verifier: 'v'.repeat(43),
    };
    const notAllowed = await postForm(tokenUrl, code, auth);
    assertOAuthError(notAllowed, 400, 'invalid_request');
    assert.equal(notAllowed.body.error_description, 'requested grant type is not allowed for this client');
    assertOAuthError(await postForm(tokenUrl, {}, auth), 400, 'invalid_request');
  });

  test('a scope not registered for the client: 400 invalid_scope', async () => {
    const r = await postForm(
      tokenUrl,
      { ...GRANT, scope: 'invoices:read admin' },
      { id: 'billing-worker', secret, method: 'basic' },
    );
    assertOAuthError(r, 400, 'invalid_scope');
  });

  test('audiences: a resource not registered is invalid_target; several need one named', async () => {
    const auth = { id: 'billing-worker', secret, method: 'basic' as const };
    assertOAuthError(
      await postForm(tokenUrl, { ...GRANT, resource: 'https://other.example' }, auth),
      400,
      'invalid_target',
    );
    const multi = { id: 'multi', secret: multiSecret, method: 'basic' as const };
    assertOAuthError(await postForm(tokenUrl, GRANT, multi), 400, 'invalid_target');
    const r = await postForm(tokenUrl, { ...GRANT, resource: 'https://reports.example' }, multi);
    assert.equal(r.status, 200);
    assert.equal(decodePart(r.body.access_token as string, 1).aud, 'https://reports.example');
  });

  test('metadata: both documents, the exact issuer, only what is enabled', async () => {
    const [oidc, rfc8414] = await Promise.all(
      ['openid-configuration', 'oauth-authorization-server'].map(async (name) => {
        const res = await fetch(`${t.url}/.well-known/${name}`);
        assert.equal(res.status, 200);
        return (await res.json()) as Record<string, unknown>;
      }),
    );
    assert.deepEqual(oidc, rfc8414);
    const m = oidc as Record<string, unknown>;
    assert.equal(m.issuer, t.url);
    assert.equal(m.token_endpoint, `${t.url}/token`);
    assert.equal(m.jwks_uri, `${t.url}/.well-known/jwks.json`);
    assert.equal(m.introspection_endpoint, `${t.url}/token/introspection`);
    assert.equal(m.revocation_endpoint, `${t.url}/token/revocation`);
    assert.deepEqual([...(m.grant_types_supported as string[])].sort(), [
      'authorization_code',
      'client_credentials',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.deepEqual(m.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ]);
    // RFC 8628 4: the device authorization endpoint.
    assert.equal(m.device_authorization_endpoint, `${t.url}/device/auth`);
    // The users' authorization code flow (test/issuer/login) is described; nothing else is.
    assert.deepEqual(m.response_types_supported, ['code']);
    assert.equal(m.authorization_endpoint, `${t.url}/authorize`);
    assert.equal(m.pushed_authorization_request_endpoint, undefined);
    // What is not listed is not served either.
    assert.equal((await fetch(`${t.url}/auth?client_id=billing-worker&response_type=code`)).status, 404);
  });

  test('the JWKS is cacheable, for less than the pre-publication time', async () => {
    const res = await fetch(`${t.url}/.well-known/jwks.json`);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    for (const k of keys)
      for (const secretMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[secretMember], undefined);
  });

  describe('introspection (RFC 7662)', () => {
    const url = () => `${t.url}/token/introspection`;

    test('needs client authentication', async () => {
      const token = await getToken(t.url, 'billing-worker', secret);
      assertOAuthError(await postForm(url(), { token }), 400, 'invalid_request');
      assertOAuthError(
        await postForm(url(), { token }, { id: 'billing-worker', secret: 'wrong', method: 'basic' }),
        401,
        'invalid_client',
      );
    });

    test('an active token: its claims', async () => {
      const token = await getToken(t.url, 'billing-worker', secret);
      const r = await postForm(url(), { token }, { id: 'post-client', secret: postSecret, method: 'post' });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.body.active, true);
      assert.equal(r.body.client_id, 'billing-worker');
      assert.equal(r.body.sub, 'billing-worker');
      assert.equal(r.body.iss, t.url);
      assert.equal(r.body.aud, AUDIENCE);
      assert.equal(r.body.token_type, 'Bearer');
      assert.deepEqual(r.body.roles, ['billing', 'reporting']);
      assert.equal(typeof r.body.exp, 'number');
    });

    test('unknown, foreign and malformed tokens: only {"active": false}', async () => {
      const auth = { id: 'billing-worker', secret, method: 'basic' as const };
      const { privateKey } = await generateKeyPair('ES256');
      const real = decodePart(await getToken(t.url, 'billing-worker', secret), 0);
      const foreign = await new SignJWT({ client_id: 'billing-worker', jti: 'x'.repeat(22) })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: real.kid as string })
        .setIssuer(t.url)
        .setSubject('billing-worker')
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      const otherIssuer = await new SignJWT({ client_id: 'billing-worker', jti: 'y'.repeat(22) })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
        .setIssuer('https://someone-else.example')
        .setSubject('billing-worker')
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(privateKey);
      for (const token of ['an-opaque-token-nobody-issued', foreign, otherIssuer, 'a.b.c']) {
        const r = await postForm(url(), { token }, auth);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body, { active: false });
      }
    });
  });

  describe('revocation (RFC 7009)', () => {
    const url = () => `${t.url}/token/revocation`;

    test('a client revokes its token: 200, inactive at introspection, on the feed until its exp', async () => {
      const auth = { id: 'billing-worker', secret, method: 'basic' as const };
      const token = await getToken(t.url, 'billing-worker', secret);
      const { jti, exp } = decodePart(token, 1);
      const r = await postForm(url(), { token, token_type_hint: 'access_token' }, auth);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {});
      assert.deepEqual((await postForm(`${t.url}/token/introspection`, { token }, auth)).body, {
        active: false,
      });
      const feed = (await (await fetch(`${t.url}/revocations?since=0`)).json()) as {
        revocations: { jti: string; exp: number }[];
      };
      assert.ok(feed.revocations.some((e) => e.jti === jti && e.exp === exp));
      // Again: still 200 (RFC 7009 2.2).
      assert.equal((await postForm(url(), { token }, auth)).status, 200);
    });

    test("another client's token is refused; an invalid token is a 200 no-op", async () => {
      const token = await getToken(t.url, 'billing-worker', secret);
      const other = { id: 'post-client', secret: postSecret, method: 'post' as const };
      assertOAuthError(await postForm(url(), { token }, other), 400, 'invalid_request');
      const r = await postForm(url(), { token: 'not-a-token' }, other);
      assert.equal(r.status, 200);
      // Still active: nothing was revoked.
      const check = await postForm(`${t.url}/token/introspection`, { token }, other);
      assert.equal(check.body.active, true);
    });

    test('needs client authentication', async () => {
      const token = await getToken(t.url, 'billing-worker', secret);
      assertOAuthError(
        await postForm(url(), { token }, { id: 'billing-worker', secret: 'nope', method: 'basic' }),
        401,
        'invalid_client',
      );
    });
  });

  test('openid-client v6 discovers the issuer and obtains a client-credentials token', async () => {
    const config = await oauth.discovery(
      new URL(t.url),
      'billing-worker',
      secret,
      oauth.ClientSecretBasic(secret),
      {
        execute: [oauth.allowInsecureRequests],
      },
    );
    assert.equal(config.serverMetadata().issuer, t.url);
    const tokens = await oauth.clientCredentialsGrant(config, { scope: 'invoices:read', resource: AUDIENCE });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.scope, 'invoices:read');
    assert.equal(decodePart(tokens.access_token, 1).client_id, 'billing-worker');
  });

  test('request bodies are size-limited', async () => {
    const r = await postForm(
      tokenUrl,
      { ...GRANT, scope: 'x'.repeat(17 * 1024) },
      { id: 'billing-worker', secret, method: 'basic' },
    );
    assert.equal(r.status, 413);
    assert.equal(r.body.error, 'invalid_request');
  });

  test('anything else is 404', async () => {
    for (const path of ['/', '/token/', '/admin/clients', '/.well-known/other', '/session/end']) {
      assert.equal((await fetch(`${t.url}${path}`)).status, 404, path);
    }
  });
});

/** A token request from a given loopback source address (127.0.0.0/8 is all local on Linux). */
function tokenFrom(
  localAddress: string,
  url: string,
  id: string,
  secret: string,
): Promise<{ status: number; retryAfter: string | undefined; body: Record<string, unknown> }> {
  const body = 'grant_type=client_credentials';
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            body: JSON.parse(text || '{}'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('jwtgate issuer: protection of the token endpoint', () => {
  test('10 failed authentications lock that client id at that address; others are unaffected', async () => {
    const t = await startTestIssuer({ rateLimit: { perClient: null, perAddress: null } });
    try {
      const secret = (await registerClient(t.store, { id: 'victim' })) as string;
      const url = `${t.url}/token`;
      for (let i = 0; i < 10; i++)
        assert.equal((await tokenFrom('127.0.0.1', url, 'victim', 'guess')).status, 401);
      const locked = await tokenFrom('127.0.0.1', url, 'victim', secret);
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error, 'temporarily_unavailable');
      assert.ok(Number(locked.retryAfter) > 800 && Number(locked.retryAfter) <= 900, locked.retryAfter);
      // The same client from another address, and the lock is audited.
      assert.equal((await tokenFrom('127.0.0.2', url, 'victim', secret)).status, 200);
      const audit = await t.store.audit.recent(20, ['auth.failed', 'auth.locked']);
      assert.equal(audit.filter((e) => e.type === 'auth.failed').length, 10);
      assert.equal(audit.filter((e) => e.type === 'auth.locked').length, 1);
      assert.ok(!JSON.stringify(audit).includes(secret));
    } finally {
      await t.close();
    }
  });

  test('rate limit per client: 429 with Retry-After once the burst is spent', async () => {
    const t = await startTestIssuer({ rateLimit: { perClient: { rate: 1, burst: 3 }, perAddress: null } });
    try {
      const secret = (await registerClient(t.store, { id: 'busy' })) as string;
      const other = (await registerClient(t.store, { id: 'calm' })) as string;
      const url = `${t.url}/token`;
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await tokenFrom('127.0.0.1', url, 'busy', secret)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.equal((await tokenFrom('127.0.0.1', url, 'calm', other)).status, 200);
    } finally {
      await t.close();
    }
  });

  test('rate limit per address', async () => {
    const t = await startTestIssuer({ rateLimit: { perClient: null, perAddress: { rate: 1, burst: 2 } } });
    try {
      const secret = (await registerClient(t.store, { id: 'a' })) as string;
      const url = `${t.url}/token`;
      assert.equal((await tokenFrom('127.0.0.3', url, 'a', secret)).status, 200);
      assert.equal((await tokenFrom('127.0.0.3', url, 'a', secret)).status, 200);
      const limited = await tokenFrom('127.0.0.3', url, 'a', secret);
      assert.equal(limited.status, 429);
      assert.equal(limited.retryAfter, '1');
      assert.equal((await tokenFrom('127.0.0.4', url, 'a', secret)).status, 200);
    } finally {
      await t.close();
    }
  });
});
