// examples/webapp over HTTP, without a browser (so it is checked where Chromium is missing too):
// the app as a process, an issuer in this process, and an echo server standing in for the gateway.
// The browser's part (cookies, redirects, the login form) is driven by hand.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addUser } from '../../src/issuer/admin/manage-users.ts';
import { decodePart, freePort, registerClient, startTestIssuer, type TestIssuer } from '../issuer/helpers.ts';
import { browse, CookieJar } from '../issuer/login/login-helpers.ts';
import { startUpstream, type Upstream } from './harness.ts';
import { startWebApp, type WebAppProcess } from './webapp-harness.ts';

const PASSWORD = 'web app example password';

describe('examples/webapp: sign in, call the gateway, refresh, sign out (HTTP)', () => {
  let t: TestIssuer;
  let gateway: Upstream;
  let app: WebAppProcess | undefined;
  let appUrl: string;

  before(async () => {
    t = await startTestIssuer({
      login: { lockout: null, perAddress: null },
      refreshTokens: { absoluteLifetimeSeconds: 86_400, graceSeconds: 0 },
    });
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    const secret = (await registerClient(t.store, {
      id: 'webapp',
      name: 'Web App',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [`${appUrl}/callback`, `${appUrl}/signed-out`],
    })) as string;
    await addUser(
      t.store,
      { username: 'alice', name: 'Alice Example', roles: { webapp: ['billing'] }, password: PASSWORD },
      'test',
    );
    gateway = await startUpstream('gateway');
    app = await startWebApp({
      ISSUER_URL: t.url,
      CLIENT_ID: 'webapp',
      CLIENT_SECRET: secret,
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEWAY_URL: gateway.origin,
      WEBAPP_DEBUG_TOKENS: '',
    });
  });

  after(async () => {
    await app?.stop();
    await gateway?.close();
    await t?.close();
  });

  /** Follows redirects (issuer and app share the jar: their cookie names differ) until a page answers. */
  async function follow(jar: CookieJar, start: string) {
    let url = start;
    for (let i = 0; i < 10; i++) {
      const r = await browse(jar, url);
      if (r.location === null) return { ...r, url };
      url = new URL(r.location, url).href;
    }
    throw new Error('too many redirects');
  }

  /** Signs alice in; returns the home page and the CSRF token of its forms. */
  async function signIn(jar: CookieJar) {
    const login = await follow(jar, `${appUrl}/login`);
    assert.ok(login.url.startsWith(`${t.url}/interaction/`), login.url);
    const csrf = /name="csrf" value="([^"]+)"/.exec(login.text)?.[1] as string;
    const posted = await browse(jar, login.url, { form: { csrf, username: 'alice', password: PASSWORD } });
    assert.equal(posted.res.status, 303, posted.text);
    const home = await follow(jar, new URL(posted.location as string, t.url).href);
    assert.equal(home.url, `${appUrl}/`);
    return { home, csrf: /name="csrf" value="([^"]+)"/.exec(home.text)?.[1] as string };
  }

  test('pages: strict headers; no session cookie until sign-in starts; then HttpOnly, SameSite=Lax', async () => {
    const home = await fetch(appUrl);
    assert.equal(home.status, 200);
    assert.equal(home.headers.getSetCookie().length, 0);
    assert.equal(home.headers.get('cache-control'), 'no-store');
    assert.equal(home.headers.get('x-frame-options'), 'DENY');
    assert.match(home.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(
      home.headers.get('content-security-policy') ?? '',
      new RegExp(`form-action 'self' ${t.url}`),
    );
    assert.match(await home.text(), /href="\/login"/);

    const login = await fetch(`${appUrl}/login`, { redirect: 'manual' });
    assert.equal(login.status, 303);
    const [cookie] = login.headers.getSetCookie();
    assert.match(
      cookie ?? '',
      /^webapp_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/,
    );
    const target = new URL(login.headers.get('location') as string);
    assert.equal(target.origin + target.pathname, `${t.url}/authorize`);
    const q = target.searchParams;
    assert.equal(q.get('client_id'), 'webapp');
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('redirect_uri'), `${appUrl}/callback`);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((q.get('state') ?? '').length >= 20);
    assert.ok((q.get('nonce') ?? '').length >= 20);
    assert.equal(
      (await fetch(`${appUrl}/debug/tokens`)).status,
      404,
      'debug only with WEBAPP_DEBUG_TOKENS=1',
    );
  });

  test('a callback the app did not start, or with another state, signs nobody in', async () => {
    assert.equal((await fetch(`${appUrl}/callback?code=x&state=y`)).status, 400);
    const jar = new CookieJar();
    await browse(jar, `${appUrl}/login`);
    const back = await browse(jar, `${appUrl}/callback?code=x&state=forged&iss=${encodeURIComponent(t.url)}`);
    assert.equal(back.res.status, 303);
    const home = await browse(jar, `${appUrl}/`);
    assert.match(home.text, /Sign-in failed/);
    assert.match(home.text, /You are not signed in/);
  });

  test('sign in, call the gateway with the bearer token, refresh, and sign out', async () => {
    const jar = new CookieJar();
    const before = jar.header();
    const { home, csrf } = await signIn(jar);
    assert.notEqual(jar.header(), before);
    assert.match(home.text, /Signed in as <strong id="user-name">Alice Example<\/strong>/);
    assert.match(home.text, /<dd id="user-roles">billing<\/dd>/);
    const tokenId = /<dd id="token-id">([^<]+)<\/dd>/.exec(home.text)?.[1];

    // A form without the session's CSRF token is refused.
    const forged = await browse(jar, `${appUrl}/call/billing`, { form: { csrf: 'nope' } });
    assert.equal(forged.res.status, 403);

    const call = await browse(jar, `${appUrl}/call/billing`, { form: { csrf } });
    assert.equal(call.res.status, 303);
    const seen = gateway.seen.at(-1);
    assert.equal(seen?.url, '/billing/invoices');
    const bearer = String(seen?.headers.authorization ?? '');
    assert.match(bearer, /^Bearer ey/);
    assert.equal(decodePart(bearer.slice(7), 1).jti, tokenId);
    assert.match((await browse(jar, `${appUrl}/`)).text, /GET \/billing\/invoices: 200/);

    const refreshed = await browse(jar, `${appUrl}/refresh`, { form: { csrf } });
    assert.equal(refreshed.res.status, 303);
    const after = await browse(jar, `${appUrl}/`);
    assert.match(after.text, /Tokens refreshed/);
    assert.doesNotMatch(after.text, new RegExp(`<dd id="token-id">${tokenId}<`));

    const logout = await browse(jar, `${appUrl}/logout`, { form: { csrf } });
    assert.equal(logout.res.status, 303);
    const end = new URL(logout.location as string);
    assert.equal(end.origin + end.pathname, `${t.url}/logout`);
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${appUrl}/signed-out`);
    assert.ok(end.searchParams.get('id_token_hint'));
    assert.match(logout.res.headers.getSetCookie()[0] ?? '', /^webapp_session=; .*Max-Age=0/);
    assert.match((await browse(jar, `${appUrl}/`)).text, /You are not signed in/);
  });
});
