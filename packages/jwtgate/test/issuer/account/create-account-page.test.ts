// The account page over HTTP: a user signs in at /account/login with the same steps as the OAuth
// login, sets up an authenticator app (code computed here), sees recovery codes once, cannot drop
// below a required second factor, and the passkey registration page is the only one with script.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { addUser } from '../../../src/issuer/admin/manage-users.ts';
import { regenerateRecoveryCodes } from '../../../src/issuer/mfa/manage-factors.ts';
import { ConsoleBrowser, csrfOf } from '../console/console-helpers.ts';
import { startTestIssuer, type TestIssuer } from '../helpers.ts';

const USER = { username: 'fay', password: 'fay account password 1' };
const code = (secret: string, steps = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + steps * 30_000 });

async function signIn(t: TestIssuer, credentials = USER) {
  const b = new ConsoleBrowser(t.url);
  const r = await b.submit('/account/login', '/account/login', { ...credentials, action: 'login' });
  return { b, r };
}

describe('the account page', () => {
  let t: TestIssuer;
  let secret = '';

  before(async () => {
    t = await startTestIssuer({
      login: { lockout: { maxFailures: 5, lockMs: 60_000 }, perAddress: { rate: 100, burst: 1000 } },
    });
    await addUser(t.store, USER, 'test');
  });
  after(() => t.close());

  test('/account without a session goes to its login; a wrong password is refused generically', async () => {
    const b = new ConsoleBrowser(t.url);
    const first = await b.get('/account');
    assert.equal(first.status, 303);
    assert.equal(first.location, '/account/login');
    const login = await b.get('/account/login');
    assert.match(login.text, /to continue to <strong>your account<\/strong>/);
    assert.match(login.text, /href="\/account\/login\/passkey"/);
    const wrong = await b.submit('/account/login', '/account/login', {
      username: 'fay',
      password: 'nope nope',
    });
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /Invalid username or password/);
  });

  test('sign in, set up an authenticator app (QR code, no script), recovery codes shown once', async () => {
    const { b, r } = await signIn(t);
    assert.equal(r.status, 303, r.text);
    assert.equal(r.location, '/account');
    const overview = await b.get('/account');
    assert.equal(overview.status, 200);
    assert.match(overview.text, /Signed in as <strong>fay<\/strong>/);
    assert.doesNotMatch(overview.text, /<script/);
    assert.doesNotMatch(overview.headers.get('content-security-policy') ?? '', /script-src/);

    const setup = await b.submit('/account', '/account/totp/begin', {});
    assert.equal(setup.status, 200);
    assert.match(setup.text, /<svg role="img"[^>]* class="qr"/);
    assert.doesNotMatch(setup.text, /<script/);
    secret = (/id="totp-secret">([A-Z2-7 ]+)</.exec(setup.text)?.[1] ?? '').replace(/ /g, '');
    const done = await b.request('/account/totp/confirm', {
      form: { csrf: csrfOf(setup.text), code: code(secret) },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal([...done.text.matchAll(/<li>([A-Z2-7-]{19})<\/li>/g)].length, 10);
    const after = await b.get('/account');
    assert.match(after.text, /Set up\. Codes from it are asked for/);
    assert.match(after.text, /10 unused recovery codes/);
    assert.doesNotMatch(after.text, /<li>[A-Z2-7]{4}-/, 'the codes are not shown again');
  });

  test('the next sign-in asks for the code; with it, the page; sign out ends the session', async () => {
    const { b, r } = await signIn(t);
    assert.equal(r.status, 200);
    assert.match(r.text, /Verify it is you/);
    const signed = await b.request('/account/login', {
      form: { csrf: csrfOf(r.text), step: 'otp', code: code(secret, 1) },
    });
    assert.equal(signed.status, 303, signed.text);
    const page = await b.get('/account');
    assert.equal(page.status, 200);
    const out = await b.request('/account/logout', { form: { csrf: csrfOf(page.text) } });
    assert.equal(out.status, 303);
    assert.equal((await b.get('/account')).status, 303);
  });

  test('a required second factor cannot be removed as the last one; the passkey page alone has script', async () => {
    await t.store.users.update((await t.store.users.getByUsername('fay'))?.id as string, {
      mfaRequired: true,
    });
    const { b, r } = await signIn(t);
    const unknown = await b.request('/account/login', {
      form: { csrf: csrfOf(r.text), step: 'recovery', recovery_code: 'AAAA-BBBB-CCCC-DDDD' },
    });
    assert.equal(unknown.status, 400, 'an unknown recovery code is refused');
    await t.store.users.clearLoginFailures(
      (await t.store.users.getByUsername('fay'))?.id as string,
      Date.now(),
    );

    const page = await signedInWithNewCodes(t);
    const refused = await page.b.submit('/account', '/account/totp/remove', {});
    assert.equal(refused.status, 400);
    assert.match(refused.text, /must keep a second factor/);

    const registration = await page.b.get('/account/passkeys/new');
    assert.equal(registration.status, 200);
    assert.match(registration.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(registration.text, /data-ceremony="register"/);
    assert.match(registration.text, /&quot;residentKey&quot;:&quot;required&quot;/);
    assert.match(registration.text, /&quot;userVerification&quot;:&quot;required&quot;/);
    const bogus = await page.b.request('/account/passkeys', {
      form: { csrf: csrfOf(registration.text), step: 'register', name: 'Mine', response: '{"id":"x"}' },
    });
    assert.equal(bogus.status, 400);
    assert.match(bogus.text, /could not be verified/);
    assert.deepEqual(await t.store.passkeys.listForUser(page.userId), []);
  });
});

/** Signs fay in with one of a fresh set of recovery codes (her TOTP codes of this step are spent). */
async function signedInWithNewCodes(t: TestIssuer) {
  const user = await t.store.users.getByUsername('fay');
  if (user === undefined) throw new Error('no fay');
  const codes = await regenerateRecoveryCodes({ store: t.store, kek: null, now: Date.now }, user, 'test');
  const { b, r } = await signIn(t);
  const signed = await b.request('/account/login', {
    form: { csrf: csrfOf(r.text), step: 'recovery', recovery_code: codes[0] as string },
  });
  if (signed.status !== 303) throw new Error(`sign-in failed: ${signed.status} ${signed.text}`);
  return { b, userId: user.id };
}
