// Public clients (token_endpoint_auth_method none) against an in-process issuer over HTTP: a
// browser app and native apps sign users in with code + PKCE and no secret; loopback redirects on
// any port and private-use schemes (RFC 8252 7); refresh tokens rotate, a replay ends the grant
// at once (no grace), and live for the idle lifetime; CORS for exactly the registered origins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addClient } from '../../../src/issuer/admin/manage-clients.ts';
import { AUDIENCE, decodePart } from '../helpers.ts';
import {
  browse,
  CookieJar,
  type LoginIssuer,
  loginForCode,
  openLoginPage,
  pkcePair,
  startLoginIssuer,
} from './login-helpers.ts';

const SPA = 'spa';
const SPA_ORIGIN = 'https://spa.example';
const SPA_REDIRECT = `${SPA_ORIGIN}/callback`;
const NATIVE = 'desktop';
const LOOPBACK = 'http://127.0.0.1/callback';
const CUSTOM_SCHEME = 'com.example.desktop:/oauth2redirect';
const IDLE = 600;

/** A token endpoint request of a public client: client_id in the body, nothing else proves it. */
async function publicToken(
  t: LoginIssuer,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${t.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function signIn(t: LoginIssuer, clientId: string, redirectUri: string) {
  const jar = new CookieJar();
  const { verifier, challenge } = pkcePair();
  const callback = await loginForCode(t, jar, {
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const code = callback.get('code');
  assert.ok(code, `a code came back: ${callback}`);
  return { jar, code, verifier };
}

describe('public clients', () => {
  let t: LoginIssuer;

  before(async () => {
    t = await startLoginIssuer({
      refreshTokens: { graceSeconds: 10, publicIdleLifetimeSeconds: IDLE },
    });
    const spa = await addClient(
      t.store,
      {
        id: SPA,
        name: 'Single-page app',
        authMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [SPA_REDIRECT],
        webOrigins: [SPA_ORIGIN],
        audiences: [AUDIENCE],
        scopes: ['invoices:read'],
      },
      'test',
    );
    assert.equal(spa.secret, null, 'no secret is ever issued to a public client');
    await addClient(
      t.store,
      {
        id: NATIVE,
        authMethod: 'none',
        applicationType: 'native',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [LOOPBACK, 'http://[::1]/callback', CUSTOM_SCHEME],
        audiences: [AUDIENCE],
      },
      'test',
    );
    await t.store.users.update(t.user.id, { roles: { ...t.user.roles, [SPA]: ['reader'] } });
  });
  after(() => t.close());

  test('code + PKCE with no secret, then refresh rotation; a replayed refresh token ends the grant', async () => {
    const { code, verifier } = await signIn(t, SPA, SPA_REDIRECT);
    const redeemed = await publicToken(t, {
      grant_type: 'authorization_code',
      client_id: SPA,
      code,
      redirect_uri: SPA_REDIRECT,
      code_verifier: verifier,
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    const claims = decodePart(redeemed.body.access_token as string, 1);
    assert.equal(claims.client_id, SPA);
    assert.equal(claims.sub, t.user.id);
    assert.deepEqual(claims.roles, ['reader', 'staff']);
    const first = redeemed.body.refresh_token as string;
    assert.ok(first);

    const stored = await t.store.oidc.find('RefreshToken', first);
    const ttl = (stored?.exp as number) - (stored?.iat as number);
    assert.ok(
      ttl <= IDLE && ttl >= IDLE - 2,
      `a public client's refresh token lives the idle time (${ttl} s)`,
    );

    const rotated = await publicToken(t, {
      grant_type: 'refresh_token',
      client_id: SPA,
      refresh_token: first,
    });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const second = rotated.body.refresh_token as string;
    assert.notEqual(second, first, 'rotated on use');

    // Within the 10 s grace a confidential client could retry; a public client's replay is reuse.
    const replay = await publicToken(t, {
      grant_type: 'refresh_token',
      client_id: SPA,
      refresh_token: first,
    });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    const afterReplay = await publicToken(t, {
      grant_type: 'refresh_token',
      client_id: SPA,
      refresh_token: second,
    });
    assert.equal(afterReplay.body.error, 'invalid_grant', 'the whole grant ended, the newest token too');
    const latest = decodePart(rotated.body.access_token as string, 1);
    assert.equal(
      await t.store.revocations.isRevoked(latest.jti as string),
      true,
      'its access tokens revoked',
    );
  });

  test('PKCE is required: an authorization request without it is refused', async () => {
    const start = await browse(
      new CookieJar(),
      `${t.url}/authorize?${new URLSearchParams({
        client_id: SPA,
        response_type: 'code',
        redirect_uri: SPA_REDIRECT,
        scope: 'openid',
        state: 's',
      })}`,
    );
    const to = new URL(start.location ?? '', t.url);
    assert.equal(to.origin + to.pathname, SPA_REDIRECT);
    assert.equal(to.searchParams.get('error'), 'invalid_request');
    assert.match(to.searchParams.get('error_description') ?? '', /PKCE/);
  });

  test('a code cannot be redeemed without its verifier', async () => {
    const { code } = await signIn(t, SPA, SPA_REDIRECT);
    const noVerifier = await publicToken(t, {
      grant_type: 'authorization_code',
      client_id: SPA,
      code,
      redirect_uri: SPA_REDIRECT,
    });
    assert.equal(noVerifier.status, 400);
    assert.equal(noVerifier.body.error, 'invalid_grant');
  });

  test('a native app: loopback redirect on any port, and its private-use scheme', async () => {
    for (const redirect of [
      'http://127.0.0.1:49152/callback',
      'http://127.0.0.1:8400/callback',
      CUSTOM_SCHEME,
    ]) {
      const { code, verifier } = await signIn(t, NATIVE, redirect);
      const r = await publicToken(t, {
        grant_type: 'authorization_code',
        client_id: NATIVE,
        code,
        redirect_uri: redirect,
        code_verifier: verifier,
      });
      assert.equal(r.status, 200, `${redirect}: ${JSON.stringify(r.body)}`);
    }
  });

  test('a native app: another host or path on loopback is not its redirect', async () => {
    for (const redirect of [
      'http://localhost:49152/callback',
      'http://127.0.0.1:49152/other',
      'http://[::1]:1/other',
    ]) {
      const { challenge } = pkcePair();
      await assert.rejects(
        openLoginPage(t, new CookieJar(), {
          client_id: NATIVE,
          redirect_uri: redirect,
          scope: 'openid',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        /did not redirect to the login page/,
        redirect,
      );
    }
  });
});

describe('CORS for browser apps', () => {
  let t: LoginIssuer;
  before(async () => {
    t = await startLoginIssuer();
    await addClient(
      t.store,
      {
        id: SPA,
        authMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [SPA_REDIRECT],
        webOrigins: [SPA_ORIGIN],
        audiences: [AUDIENCE],
      },
      'test',
    );
  });
  after(() => t.close());

  const preflight = (path: string, origin: string, method = 'POST', headers = 'content-type') =>
    fetch(`${t.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });
  const corsHeaderNames = (h: Headers) => [...h.keys()].filter((k) => k.startsWith('access-control-'));

  test('preflights: a registered origin is answered at token, revocation and userinfo; any other gets nothing', async () => {
    for (const path of ['/token', '/token/revocation', '/userinfo']) {
      const ok = await preflight(path, SPA_ORIGIN, path === '/userinfo' ? 'GET' : 'POST', 'authorization');
      assert.equal(ok.status, 204, path);
      assert.equal(ok.headers.get('access-control-allow-origin'), SPA_ORIGIN, path);
      assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST|GET/);
      assert.equal(ok.headers.get('access-control-allow-headers'), 'authorization');
      for (const origin of [
        'https://evil.example',
        'https://spa.example.evil.example',
        'null',
        `${SPA_ORIGIN}:444`,
      ]) {
        const no = await preflight(path, origin);
        assert.equal(no.status, 403, `${path} ${origin}`);
        assert.deepEqual(corsHeaderNames(no.headers), [], `${path} ${origin}: no CORS headers`);
      }
    }
    const header = await preflight('/token', SPA_ORIGIN, 'POST', 'x-custom');
    assert.deepEqual(corsHeaderNames(header.headers), [], 'an unlisted request header is not allowed');
    const method = await preflight('/token', SPA_ORIGIN, 'DELETE');
    assert.deepEqual(corsHeaderNames(method.headers), [], 'nor another method');
  });

  test('the token endpoint answers CORS for its client’s origin only, also on errors', async () => {
    const form = { grant_type: 'refresh_token', client_id: SPA, refresh_token: 'not-a-token' };
    const mine = await publicToken(t, form, { origin: SPA_ORIGIN });
    assert.equal(mine.body.error, 'invalid_grant');
    assert.equal(mine.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    const other = await publicToken(t, form, { origin: 'https://evil.example' });
    assert.equal(other.status, 400);
    assert.deepEqual(corsHeaderNames(other.headers), []);
    // Before a client is known (an unknown one), only an origin some client registers is answered.
    const unknown = { ...form, client_id: 'nobody' };
    assert.deepEqual(
      corsHeaderNames((await publicToken(t, unknown, { origin: 'https://evil.example' })).headers),
      [],
    );
    assert.equal(
      (await publicToken(t, unknown, { origin: SPA_ORIGIN })).headers.get('access-control-allow-origin'),
      SPA_ORIGIN,
    );
    // A confidential client's request from a browser origin is refused, and unreadable.
    const webapp = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SPA_ORIGIN },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'webapp',
        client_secret: t.secret,
      }),
    });
    assert.equal(webapp.status, 400);
    assert.deepEqual(corsHeaderNames(webapp.headers), []);
  });

  test('userinfo answers CORS for the token’s client’s origin', async () => {
    const { code, verifier } = await signIn(t, SPA, SPA_REDIRECT);
    const { body } = await publicToken(t, {
      grant_type: 'authorization_code',
      client_id: SPA,
      code,
      redirect_uri: SPA_REDIRECT,
      code_verifier: verifier,
    });
    const userinfo = (origin: string, token = body.access_token as string) =>
      fetch(`${t.url}/userinfo`, { headers: { authorization: `Bearer ${token}`, origin } });
    const mine = await userinfo(SPA_ORIGIN);
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    assert.equal(mine.headers.get('access-control-expose-headers'), 'WWW-Authenticate');
    const other = await userinfo('https://evil.example');
    assert.equal(other.status, 200, 'not a browser: the answer itself is the same');
    assert.deepEqual(corsHeaderNames(other.headers), []);
    const invalid = await userinfo(SPA_ORIGIN, 'a.b.c');
    assert.equal(invalid.status, 401);
    assert.equal(invalid.headers.get('access-control-allow-origin'), SPA_ORIGIN, 'the app can read its 401');
  });

  test('a disabled client’s origins are no longer answered', async () => {
    await t.store.clients.update(SPA, { disabled: true });
    try {
      const no = await preflight('/token', SPA_ORIGIN);
      assert.equal(no.status, 403);
    } finally {
      await t.store.clients.update(SPA, { disabled: false });
    }
  });
});
