// The console's second-factor parts, over HTTP: an administrator requires a second factor of a
// user, sets up an authenticator app for them (QR code as inline SVG, no script; a confirmation
// code computed here), gets their recovery codes once, removes a passkey; and with --mfa-admins
// the console's own login asks an administrator for the second factor.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { beginTotpSetup, confirmTotpSetup } from '../../../src/issuer/mfa/manage-factors.ts';
import type { UserRecord } from '../../../src/store/types.ts';
import {
  ADMIN,
  adminBrowser,
  ConsoleBrowser as Browser,
  type ConsoleBrowser,
  type ConsoleIssuer,
  csrfOf,
  startConsoleIssuer,
} from './console-helpers.ts';

const code = (secret: string, steps = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + steps * 30_000 });

describe('console: second factors of users', () => {
  let t: ConsoleIssuer;
  let b: ConsoleBrowser;

  before(async () => {
    t = await startConsoleIssuer();
    b = await adminBrowser(t);
  });
  after(() => t.close());

  test('require a second factor; set up an authenticator app with the user; codes shown once; remove it', async () => {
    const page = `/console/users/${t.plainId}`;
    const required = await b.submit(page, `${page}/mfa-required`, { mfa_required: 'yes' });
    assert.equal(required.status, 303);
    assert.equal((await t.store.users.get(t.plainId))?.mfaRequired, true);

    const setup = await b.submit(page, `${page}/totp-setup`, {});
    assert.equal(setup.status, 200, setup.text);
    assert.match(setup.text, /<svg role="img" aria-label="QR code to add bob[^"]*" class="qr"/);
    assert.doesNotMatch(setup.text, /<script/);
    assert.doesNotMatch(setup.headers.get('content-security-policy') ?? '', /script-src(?! 'none')/);
    const secret = (/id="totp-secret">([A-Z2-7 ]+)</.exec(setup.text)?.[1] ?? '').replace(/ /g, '');
    assert.equal((await t.store.totp.get(t.plainId))?.confirmedAt, null, 'pending until confirmed');

    const wrong = await b.request(`${page}/totp-confirm`, { form: { csrf: csrfOf(setup.text), code: '12' } });
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /not from this authenticator set-up/);
    const done = await b.request(`${page}/totp-confirm`, {
      form: { csrf: csrfOf(setup.text), code: code(secret) },
    });
    assert.equal(done.status, 200, done.text);
    const codes = [...done.text.matchAll(/<li>([A-Z2-7-]{19})<\/li>/g)];
    assert.equal(codes.length, 10);
    assert.equal(await t.store.recoveryCodes.remaining(t.plainId), 10);
    const shown = await b.get(page);
    assert.match(shown.text, /id="totp-state">active</);
    assert.doesNotMatch(shown.text, new RegExp(codes[0]?.[1] as string), 'codes are never shown again');
    assert.doesNotMatch(shown.text, new RegExp(secret));

    const again = await b.submit(page, `${page}/recovery-codes`, {});
    assert.equal([...again.text.matchAll(/<li>([A-Z2-7-]{19})<\/li>/g)].length, 10);
    const removed = await b.submit(page, `${page}/totp-remove`, {});
    assert.equal(removed.status, 303);
    assert.equal(await t.store.totp.get(t.plainId), undefined);
    const events = (await t.store.audit.recent(20)).map((e) => `${e.type}:${e.actor}`);
    for (const type of ['user.totp_enrolled', 'user.recovery_codes_generated', 'user.totp_removed'])
      assert.ok(events.includes(`${type}:console:${ADMIN.username}`), `${type} in ${events}`);
  });

  test("a user's passkeys are listed and removable", async () => {
    await t.store.passkeys.add({
      id: 'cred-console-1',
      userId: t.plainId,
      publicKey: 'pQ',
      counter: 0,
      transports: ['internal'],
      name: 'Work laptop',
      deviceType: 'multiDevice',
      backedUp: true,
    });
    const page = `/console/users/${t.plainId}`;
    const shown = await b.get(page);
    assert.match(shown.text, /Work laptop/);
    const removed = await b.submit(page, `${page}/passkey-remove`, { passkey: 'cred-console-1' });
    assert.equal(removed.status, 303);
    assert.equal(await t.store.passkeys.get('cred-console-1'), undefined);
    const missing = await b.submit(page, `${page}/passkey-remove`, { passkey: 'cred-console-1' });
    assert.equal(missing.status, 400);
    assert.match(missing.text, /has no such passkey/);
  });
});

describe('console: the login asks administrators for their second factor (--mfa-admins)', () => {
  let t: ConsoleIssuer;

  before(async () => {
    t = await startConsoleIssuer({ mfa: { admins: true, roles: [] } });
  });
  after(() => t.close());

  test('an administrator without one sets one up; with one, the code is asked for after the password', async () => {
    const first = new Browser(t.url);
    const shown = await first.signIn(ADMIN);
    assert.equal(shown.status, 200, shown.text);
    assert.match(shown.text, /Set up a second factor/);
    const secret = (/id="totp-secret">([A-Z2-7 ]+)</.exec(shown.text)?.[1] ?? '').replace(/ /g, '');
    const codes = await first.request('/console/login', {
      form: { csrf: csrfOf(shown.text), step: 'setup', code: code(secret) },
    });
    assert.equal(codes.status, 200, codes.text);
    const done = await first.request('/console/login', {
      form: { csrf: csrfOf(codes.text), step: 'continue' },
    });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/console');
    assert.equal((await first.get('/console')).status, 200);

    const second = new Browser(t.url);
    const asked = await second.signIn(ADMIN);
    assert.equal(asked.status, 200);
    assert.match(asked.text, /Verify it is you/);
    assert.equal((await second.get('/console')).status, 303, 'no session before the second factor');
    const signed = await second.request('/console/login', {
      form: { csrf: csrfOf(asked.text), step: 'otp', code: code(secret, 1) },
    });
    assert.equal(signed.status, 303, signed.text);
    assert.equal((await second.get('/console')).status, 200);
  });

  test('a user with a factor but not an administrator gets the generic refusal, never the code page', async () => {
    const user = (await t.store.users.get(t.plainId)) as UserRecord;
    const deps = { store: t.store, kek: null, now: Date.now };
    const secret = (await beginTotpSetup(deps, user, 'x')).secret;
    await confirmTotpSetup(deps, user, code(secret, -1), 'test');
    const refused = await new Browser(t.url).signIn({ username: 'bob', password: 'plain user password 22' });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /Invalid username or password/);
  });
});
