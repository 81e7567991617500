// The device authorization grant (RFC 8628) against an in-process issuer over HTTP: the device's
// requests (device authorization, polling) and the user's browser (verification page, confirm
// page, login page) driven by hand. The issuer's clock is injected: the poll pacing (slow_down)
// is checked without waiting.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addClient } from '../../../src/issuer/admin/manage-clients.ts';
import { AUDIENCE, decodePart } from '../helpers.ts';
import { browse, CookieJar, type LoginIssuer, PASSWORD, startLoginIssuer } from './login-helpers.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const CLIENT = 'tv-cli';
const INTERVAL = 5;

interface DeviceAuthorization {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

describe('device authorization grant', () => {
  let t: LoginIssuer;
  let clock = Date.now();

  const form = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const authorize = async (scope = 'openid profile offline_access') => {
    const r = await form('/device/auth', { client_id: CLIENT, scope });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as unknown as DeviceAuthorization;
  };
  const poll = (deviceCode: string) =>
    form('/token', { grant_type: DEVICE_GRANT, client_id: CLIENT, device_code: deviceCode });
  /** The next poll, after the interval has passed on the issuer's clock. */
  const pollLater = (deviceCode: string, seconds = INTERVAL) => {
    clock += seconds * 1000;
    return poll(deviceCode);
  };
  const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] as string;

  /** The user's browser: verification page, code, confirm page; returns what the confirm page led to. */
  async function enterCode(jar: CookieJar, userCode: string) {
    const page = await browse(jar, `${t.url}/device`);
    assert.equal(page.res.status, 200);
    assert.match(page.text, /<label for="user_code">Code<\/label>/);
    const confirm = await browse(jar, `${t.url}/device`, {
      form: { xsrf: xsrfOf(page.text), user_code: userCode },
    });
    return confirm;
  }

  async function approve(
    jar: CookieJar,
    userCode: string,
    credentials = { username: 'alice', password: PASSWORD },
  ) {
    const confirm = await enterCode(jar, userCode);
    assert.equal(confirm.res.status, 200, confirm.text);
    assert.match(confirm.text, /Confirm the device/);
    assert.match(confirm.text, new RegExp(`<code id="user-code" class="user-code">${userCode}</code>`));
    assert.match(confirm.text, /Device App/, 'the application is named');
    assert.equal(confirm.res.headers.get('x-frame-options'), 'DENY');
    const confirmed = await browse(jar, `${t.url}/device`, {
      form: { xsrf: xsrfOf(confirm.text), user_code: userCode, confirm: 'yes' },
    });
    assert.equal(confirmed.res.status, 303, confirmed.text);
    const loginUrl = new URL(confirmed.location as string, t.url).href;
    assert.match(loginUrl, /\/interaction\//);
    const login = await browse(jar, loginUrl);
    assert.match(login.text, /to continue to <strong>Device App<\/strong>/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(login.text)?.[1] as string;
    let next = await browse(jar, loginUrl, { form: { ...credentials, csrf } });
    for (let i = 0; i < 6 && next.location !== null; i++)
      next = await browse(jar, new URL(next.location, t.url).href);
    return next;
  }

  before(async () => {
    t = await startLoginIssuer(
      { deviceFlow: { pollIntervalSeconds: INTERVAL, codeLifetimeSeconds: 600 } },
      () => clock,
    );
    const created = await addClient(
      t.store,
      {
        id: CLIENT,
        name: 'Device App',
        authMethod: 'none',
        applicationType: 'native',
        grantTypes: ['device_code', 'refresh_token'],
        audiences: [AUDIENCE],
        scopes: ['invoices:read'],
      },
      'test',
    );
    assert.equal(created.secret, null);
  });
  after(() => t.close());

  test('device authorization: codes, the verification URIs and the interval (RFC 8628 3.2)', async () => {
    const a = await authorize();
    assert.match(a.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(a.verification_uri, `${t.url}/device`);
    assert.equal(a.verification_uri_complete, `${t.url}/device?user_code=${a.user_code}`);
    assert.equal(a.expires_in, 600);
    assert.equal(a.interval, INTERVAL);
    assert.ok(a.device_code.length >= 32);
  });

  test('pending, slow_down for a poll within the interval (then 5 s longer), and the token once approved', async () => {
    const a = await authorize();
    const first = await poll(a.device_code);
    assert.equal(first.status, 400);
    assert.equal(first.body.error, 'authorization_pending');
    const tooSoon = await poll(a.device_code);
    assert.equal(tooSoon.body.error, 'slow_down');
    // RFC 8628 3.5: each slow_down makes the interval 5 s longer, for every later poll.
    assert.equal((await pollLater(a.device_code, INTERVAL + 5)).body.error, 'authorization_pending');
    assert.equal((await pollLater(a.device_code, INTERVAL)).body.error, 'slow_down');
    assert.equal((await pollLater(a.device_code, INTERVAL + 5)).body.error, 'slow_down');
    assert.equal((await pollLater(a.device_code, INTERVAL + 15)).body.error, 'authorization_pending');

    const done = await approve(new CookieJar(), a.user_code);
    assert.equal(done.res.status, 200, done.text);
    assert.match(done.text, /Device connected/);

    const granted = await pollLater(a.device_code, INTERVAL + 15);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    const claims = decodePart(granted.body.access_token as string, 1);
    assert.equal(claims.sub, t.user.id);
    assert.equal(claims.client_id, CLIENT);
    assert.equal(claims.aud, AUDIENCE);
    assert.ok(granted.body.refresh_token, 'offline_access with the refresh grant: a refresh token');
    assert.ok(granted.body.id_token);
    // The device code is spent: a second redemption is invalid_grant, and ends what it gave.
    const again = await pollLater(a.device_code, 20);
    assert.equal(again.body.error, 'invalid_grant');
  });

  test('a wrong code is refused on the verification page; a wrong device code is invalid_grant', async () => {
    const jar = new CookieJar();
    const wrong = await enterCode(jar, 'BBBB-BBBB');
    assert.equal(wrong.res.status, 200);
    assert.match(wrong.text, /role="alert"[^>]*>That code is not valid/);
    assert.match(wrong.text, /value="BBBB-BBBB"/, 'the code typed is shown again');
    const unknown = await poll('not-a-device-code');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'invalid_grant');
  });

  test('cancel on the confirm page: access_denied to the device', async () => {
    const a = await authorize();
    const jar = new CookieJar();
    const confirm = await enterCode(jar, a.user_code);
    const aborted = await browse(jar, `${t.url}/device`, {
      form: { xsrf: xsrfOf(confirm.text), user_code: a.user_code, abort: 'yes' },
    });
    assert.match(aborted.text, /Sign-in cancelled/);
    const r = await pollLater(a.device_code);
    assert.equal(r.body.error, 'access_denied');
  });

  test('cancel on the login page: access_denied too', async () => {
    const a = await authorize();
    const jar = new CookieJar();
    const confirm = await enterCode(jar, a.user_code);
    const confirmed = await browse(jar, `${t.url}/device`, {
      form: { xsrf: xsrfOf(confirm.text), user_code: a.user_code, confirm: 'yes' },
    });
    const loginUrl = new URL(confirmed.location as string, t.url).href;
    const login = await browse(jar, loginUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(login.text)?.[1] as string;
    let next = await browse(jar, loginUrl, { form: { action: 'cancel', csrf, username: '', password: '' } });
    for (let i = 0; i < 6 && next.location !== null; i++)
      next = await browse(jar, new URL(next.location, t.url).href);
    assert.match(next.text, /Sign-in cancelled/);
    assert.equal((await pollLater(a.device_code)).body.error, 'access_denied');
  });

  test('an expired device code: expired_token to the device, "expired" on the page', async () => {
    const a = await authorize();
    // The code's end moved into the past in the store: oidc-provider reads its own clock.
    const stored = await t.store.oidc.find('DeviceCode', a.device_code);
    assert.ok(stored);
    const past = Math.floor(Date.now() / 1000) - 1;
    await t.store.oidc.upsert('DeviceCode', a.device_code, { ...stored, exp: past }, 600);
    const r = await poll(a.device_code);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'expired_token');
    const page = await enterCode(new CookieJar(), a.user_code);
    assert.match(page.text, /That code has expired/);
  });

  test('the verification form is refused without its CSRF value', async () => {
    const a = await authorize();
    const jar = new CookieJar();
    await browse(jar, `${t.url}/device`);
    const forged = await browse(jar, `${t.url}/device`, { form: { xsrf: 'forged', user_code: a.user_code } });
    assert.doesNotMatch(forged.text, /Confirm the device/);
    assert.match(forged.text, /This form has expired or was not sent by this page/);
    // Another browser (no session cookie) gets no confirm page either.
    const stranger = await browse(new CookieJar(), `${t.url}/device`, {
      form: { xsrf: 'x', user_code: a.user_code },
    });
    assert.doesNotMatch(stranger.text, /Confirm the device/);
  });

  test('a client without the device grant cannot start one', async () => {
    const r = await form('/device/auth', { client_id: 'webapp', client_secret: t.secret });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /unauthorized_client|invalid_request/);
  });
});
