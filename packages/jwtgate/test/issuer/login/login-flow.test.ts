// The users' authorization code flow over HTTP: the hosted login page (headers, CSRF, generic
// errors, lock-out, throttling), PKCE, the tokens (RFC 9068 access token claims, ID token) and
// /userinfo.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVerifier } from '@jwtgate/verify';
import { decodePart } from '../helpers.ts';
import {
  AUDIENCE,
  authorizeUrl,
  browse,
  CLIENT_ID,
  CookieJar,
  followToCallback,
  type LoginIssuer,
  loginAndRedeem,
  loginForCode,
  openLoginPage,
  PASSWORD,
  pkcePair,
  REDIRECT_URI,
  startLoginIssuer,
  submitLogin,
  tokenRequest,
} from './login-helpers.ts';

const INVALID = 'Invalid username or password.';

function pkceParams() {
  const { verifier, challenge } = pkcePair();
  return { verifier, params: { code_challenge: challenge, code_challenge_method: 'S256' } };
}

describe('login: authorization code flow with PKCE', () => {
  let t: LoginIssuer;

  before(async () => {
    t = await startLoginIssuer({
      login: { lockout: { maxFailures: 3, lockMs: 60_000 }, perAddress: { rate: 100, burst: 1000 } },
    });
  });
  after(() => t.close());

  test('the metadata describes the code flow, PKCE S256, userinfo and logout', async () => {
    const m = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(m.authorization_endpoint, `${t.url}/authorize`);
    assert.equal(m.userinfo_endpoint, `${t.url}/userinfo`);
    assert.equal(m.end_session_endpoint, `${t.url}/logout`);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(m.response_types_supported, ['code']);
    assert.ok((m.grant_types_supported as string[]).includes('authorization_code'));
    assert.ok((m.grant_types_supported as string[]).includes('refresh_token'));
  });

  test('the login page: accessible form, strict headers, CSRF token', async () => {
    const jar = new CookieJar();
    const { page, csrf } = await openLoginPage(t, jar, pkceParams().params);
    assert.equal(page.res.status, 200);
    const h = page.res.headers;
    assert.equal(h.get('x-frame-options'), 'DENY');
    assert.equal(h.get('cache-control'), 'no-store');
    const csp = h.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self' https:\/\/app\.example/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(page.text, /<html lang="en">/);
    assert.match(page.text, /<label for="username">/);
    assert.match(page.text, /autocomplete="username"/);
    assert.match(page.text, /autocomplete="current-password"/);
    assert.match(page.text, /Web App/);
    assert.doesNotMatch(page.text, /<script|https?:\/\/(?!app\.example)/);
    assert.ok(csrf.length >= 43);
  });

  test('a full flow: RFC 9068 access token with the user, roles for this client, scope, client_id', async () => {
    const { tokens } = await loginAndRedeem(t);
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(typeof tokens.refresh_token, 'string');
    const at = tokens.access_token as string;
    assert.equal(decodePart(at, 0).typ, 'at+jwt');
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const verifier = createVerifier({
      providers: {
        self: {
          issuer: t.url,
          audiences: [AUDIENCE],
          algorithms: ['ES256'],
          keys: { jwks },
          tokenTypes: ['at+jwt'],
        },
      },
    });
    const { claims } = await verifier.verify(at);
    assert.equal(claims.sub, t.user.id);
    assert.equal(claims.client_id, CLIENT_ID);
    assert.equal(claims.scope, 'openid profile email invoices:read');
    // user.roles[webapp] ∪ user.roles['*']; not another client's roles, not the client's own.
    assert.deepEqual([...(claims.roles as string[])].sort(), ['billing', 'staff']);
    const id = decodePart(tokens.id_token as string, 1);
    assert.equal(id.sub, t.user.id);
    assert.equal(id.aud, CLIENT_ID);
    assert.equal(id.nonce, 'nonce-1');
    assert.equal(id.email, 'alice@example.com');
  });

  test('the callback carries state and iss (RFC 9207)', async () => {
    const callback = await loginForCode(t, new CookieJar(), pkceParams().params);
    assert.equal(callback.get('state'), 'state-1');
    assert.equal(callback.get('iss'), t.url);
    assert.ok(callback.get('code'));
  });

  test('a signed-in browser is not asked again; prompt=consent is answered without a page', async () => {
    const jar = new CookieJar();
    await loginForCode(t, jar, pkceParams().params);
    const again = await browse(jar, authorizeUrl(t, pkceParams().params));
    assert.match(again.location ?? '', /^https:\/\/app\.example\/callback\?code=/);
    const forced = await browse(jar, authorizeUrl(t, { ...pkceParams().params, prompt: 'consent' }));
    assert.match(forced.location ?? '', /^\/interaction\//);
    const callback = await followToCallback(t, jar, forced.location as string);
    assert.ok(callback.get('code'));
  });

  test('/userinfo answers the scopes of the access token', async () => {
    const { tokens } = await loginAndRedeem(t);
    const res = await fetch(`${t.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sub: t.user.id, name: 'Alice Example', email: 'alice@example.com' });
    const narrow = await loginAndRedeem(t, 'openid invoices:read');
    const r2 = await fetch(`${t.url}/userinfo`, {
      headers: { authorization: `Bearer ${narrow.tokens.access_token}` },
    });
    assert.deepEqual(await r2.json(), { sub: t.user.id });
    const noOpenid = await loginAndRedeem(t, 'invoices:read');
    assert.equal(noOpenid.tokens.id_token, undefined);
    const r3 = await fetch(`${t.url}/userinfo`, {
      headers: { authorization: `Bearer ${noOpenid.tokens.access_token}` },
    });
    assert.equal(r3.status, 403);
    const r4 = await fetch(`${t.url}/userinfo`, { headers: { authorization: 'Bearer nonsense' } });
    assert.equal(r4.status, 401);
    assert.match(r4.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  test('PKCE is required, S256 only: missing and plain are refused, a wrong verifier fails', async () => {
    const jar = new CookieJar();
    const missing = await browse(jar, authorizeUrl(t, {}));
    assert.equal(missing.res.status, 303);
    assert.match(missing.location ?? '', /^https:\/\/app\.example\/callback\?error=invalid_request/);
    const plain = await browse(
      jar,
      authorizeUrl(t, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }),
    );
    assert.match(plain.location ?? '', /error=invalid_request/);
    const { params } = pkceParams();
    const callback = await loginForCode(t, new CookieJar(), params);
    const r = await tokenRequest(t, {
      grant_type: 'authorization_code',
      code: callback.get('code') as string,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkcePair().verifier,
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_grant');
  });

  test('a redirect URI not registered exactly is refused without a redirect', async () => {
    const r = await browse(
      new CookieJar(),
      authorizeUrl(t, { ...pkceParams().params, redirect_uri: `${REDIRECT_URI}/x` }),
    );
    assert.equal(r.res.status, 400);
    assert.equal(r.location, null);
  });

  test('a wrong password and an unknown user get the same generic answer', async () => {
    const jar = new CookieJar();
    const { pageUrl, csrf } = await openLoginPage(t, jar, pkceParams().params);
    const wrong = await submitLogin(jar, pageUrl, { username: 'alice', password: 'not it', csrf });
    const unknown = await submitLogin(jar, pageUrl, { username: 'mallory', password: 'not it', csrf });
    for (const r of [wrong, unknown]) {
      assert.equal(r.res.status, 400);
      assert.match(
        r.text,
        /<p class="error" role="alert" id="login-error">Invalid username or password\.<\/p>/,
      );
    }
    assert.equal(wrong.text.replace('alice', 'mallory'), unknown.text);
    await t.store.users.update(t.user.id, { failedLogins: 0 });
    const events = await t.store.audit.recent(5, ['login.failed']);
    assert.equal(events[0]?.actor, 'unknown');
    assert.equal(events[1]?.actor, t.user.id);
    for (const e of events) assert.doesNotMatch(JSON.stringify(e), /not it/);
  });

  test('the login form is refused without, or with another, CSRF token', async () => {
    const jar = new CookieJar();
    const { pageUrl, csrf } = await openLoginPage(t, jar, pkceParams().params);
    const none = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD });
    assert.equal(none.res.status, 403);
    const other = await openLoginPage(t, new CookieJar(), pkceParams().params);
    const wrong = await submitLogin(jar, pageUrl, {
      username: 'alice',
      password: PASSWORD,
      csrf: other.csrf,
    });
    assert.equal(wrong.res.status, 403);
    // Without the interaction cookie the form (and its token) is worth nothing.
    const noCookie = await submitLogin(new CookieJar(), pageUrl, {
      username: 'alice',
      password: PASSWORD,
      csrf,
    });
    assert.equal(noCookie.res.status, 400);
    // The genuine form still works.
    const ok = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
    assert.equal(ok.res.status, 303);
  });

  test('a disabled user gets the generic answer', async () => {
    await t.store.users.update(t.user.id, { disabled: true });
    try {
      const jar = new CookieJar();
      const { pageUrl, csrf } = await openLoginPage(t, jar, pkceParams().params);
      const r = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
      assert.equal(r.res.status, 400);
      assert.match(r.text, new RegExp(INVALID.replace('.', '\\.')));
    } finally {
      await t.store.users.update(t.user.id, { disabled: false });
    }
  });

  test('lock-out after repeated failures: even the right password is refused, generically', async () => {
    const jar = new CookieJar();
    const { pageUrl, csrf } = await openLoginPage(t, jar, pkceParams().params);
    for (let i = 0; i < 3; i++)
      await submitLogin(jar, pageUrl, { username: 'ALICE', password: 'nope', csrf });
    const locked = await t.store.users.get(t.user.id);
    assert.ok((locked?.lockedUntil ?? 0) > Date.now());
    const r = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
    assert.equal(r.res.status, 400);
    assert.match(r.text, /Invalid username or password/);
    assert.equal((await t.store.audit.recent(10, ['login.locked'])).length, 1);
    await t.store.users.update(t.user.id, { lockedUntil: null, failedLogins: 0 });
    const ok = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
    assert.equal(ok.res.status, 303);
    assert.equal((await t.store.audit.recent(1, ['login.succeeded']))[0]?.actor, t.user.id);
  });
});

describe('login: throttling per client address', () => {
  let t: LoginIssuer;
  before(async () => {
    t = await startLoginIssuer({ login: { lockout: null, perAddress: { rate: 0.01, burst: 2 } } });
  });
  after(() => t.close());

  test('past the burst, attempts get 429 with Retry-After', async () => {
    const jar = new CookieJar();
    const { pageUrl, csrf } = await openLoginPage(t, jar, pkceParams().params);
    assert.equal(
      (await submitLogin(jar, pageUrl, { username: 'alice', password: 'x', csrf })).res.status,
      400,
    );
    assert.equal(
      (await submitLogin(jar, pageUrl, { username: 'alice', password: 'x', csrf })).res.status,
      400,
    );
    const r = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
    assert.equal(r.res.status, 429);
    assert.ok(Number(r.res.headers.get('retry-after')) > 0);
    assert.match(r.text, /Too many sign-in attempts/);
  });
});
