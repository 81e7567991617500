// Second factors at the OAuth login, over HTTP against an in-process issuer: after the password a
// user with an authenticator app is asked for a code (computed here from the shared secret); a
// code is accepted within one step either side and only once; recovery codes work once; wrong
// codes count towards the password lock-out, which a right password does not reset; a user who
// must use a second factor and has none sets up an authenticator app there (QR code, no script);
// the tokens say how the user signed in (amr, acr).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { addUser } from '../../../src/issuer/admin/manage-users.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../../src/issuer/mfa/manage-factors.ts';
import type { UserRecord } from '../../../src/store/types.ts';
import { decodePart } from '../helpers.ts';
import {
  browse,
  CookieJar,
  followToCallback,
  type LoginIssuer,
  openLoginPage,
  pkcePair,
  REDIRECT_URI,
  startLoginIssuer,
  tokenRequest,
} from './login-helpers.ts';

const code = (secret: string, offsetSteps = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSteps * 30_000 });
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;

describe('second factors at the login', () => {
  let t: LoginIssuer;
  let secret: string;
  let recovery: string[];

  before(async () => {
    t = await startLoginIssuer({
      login: { lockout: { maxFailures: 4, lockMs: 60_000 }, perAddress: { rate: 100, burst: 1000 } },
      mfa: { admins: false, roles: ['auditor'] },
    });
    const setup = await beginTotpSetup({ store: t.store, kek: null, now: Date.now }, t.user, 'test');
    secret = setup.secret;
    // Confirmed with the code of the step before: the codes of this step are still unused.
    const confirmed = await confirmTotpSetup(
      { store: t.store, kek: null, now: Date.now },
      t.user,
      code(secret, -1),
      'test',
    );
    recovery = confirmed.recoveryCodes as string[];
    assert.equal(recovery.length, 10);
  });
  after(() => t.close());

  /** Opens the login page and posts the password: the page that comes next. */
  async function password(username = 'alice', pass = 'correct horse battery staple') {
    const jar = new CookieJar();
    const pkce = pkcePair();
    const { pageUrl, csrf } = await openLoginPage(t, jar, {
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
    const next = await browse(jar, pageUrl, { form: { username, password: pass, csrf } });
    return { jar, pageUrl, next, verifier: pkce.verifier };
  }

  async function redeem(jar: CookieJar, location: string, verifier: string) {
    const callback = await followToCallback(t, jar, location);
    const r = await tokenRequest(t, {
      grant_type: 'authorization_code',
      code: callback.get('code') as string,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  test('the password leads to the code page (no script); the right code signs in with amr pwd, otp, mfa', async () => {
    const { jar, pageUrl, next, verifier } = await password();
    assert.equal(next.res.status, 200);
    assert.match(next.text, /Verify it is you/);
    assert.match(next.text, /autocomplete="one-time-code"/);
    assert.doesNotMatch(next.text, /<script/);
    assert.doesNotMatch(next.res.headers.get('content-security-policy') ?? '', /script-src/);

    const wrong = await browse(jar, pageUrl, {
      form: { csrf: csrfOf(next.text), step: 'otp', code: '000000' === code(secret) ? '111111' : '000000' },
    });
    assert.equal(wrong.res.status, 400);
    assert.match(wrong.text, /That code is not valid/);

    const done = await browse(jar, pageUrl, {
      form: { csrf: csrfOf(wrong.text), step: 'otp', code: code(secret) },
    });
    assert.equal(done.res.status, 303, done.text);
    const tokens = await redeem(jar, done.location as string, verifier);
    for (const token of [tokens.access_token, tokens.id_token] as string[]) {
      const claims = decodePart(token, 1);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:jwtgate:acr:mfa');
    }
    // A refresh keeps how the user signed in.
    const refreshed = await tokenRequest(t, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
    });
    assert.deepEqual(decodePart(refreshed.body.access_token as string, 1).amr, ['pwd', 'otp', 'mfa']);
  });

  test('a code is taken once: the same code (or an earlier step) is refused at the next sign-in', async () => {
    const used = code(secret);
    const first = await password();
    const ok = await browse(first.jar, first.pageUrl, {
      form: { csrf: csrfOf(first.next.text), step: 'otp', code: used },
    });
    // The code of this step may have been spent by the test before; then the next one is taken.
    if (ok.res.status !== 303) {
      const later = await browse(first.jar, first.pageUrl, {
        form: { csrf: csrfOf(ok.text), step: 'otp', code: code(secret, 1) },
      });
      assert.equal(later.res.status, 303, 'the next step is accepted (one step either side)');
    }
    const again = await password();
    const replay = await browse(again.jar, again.pageUrl, {
      form: { csrf: csrfOf(again.next.text), step: 'otp', code: used },
    });
    assert.equal(replay.res.status, 400);
    assert.match(replay.text, /That code is not valid/);
    const events = await t.store.audit.recent(20, ['login.failed']);
    assert.ok(
      events.some((e) => e.detail.reason === 'reused_otp'),
      JSON.stringify(events.map((e) => e.detail)),
    );
    await t.store.users.clearLoginFailures(t.user.id, Date.now());
  });

  test('a recovery code signs in once; the same code is then refused', async () => {
    const [first] = recovery as [string];
    const a = await password();
    const ok = await browse(a.jar, a.pageUrl, {
      form: { csrf: csrfOf(a.next.text), step: 'recovery', recovery_code: first.toLowerCase() },
    });
    assert.equal(ok.res.status, 303, ok.text);
    const tokens = await redeem(a.jar, ok.location as string, a.verifier);
    assert.deepEqual(decodePart(tokens.access_token as string, 1).amr, ['pwd', 'otp', 'mfa']);
    assert.equal(await t.store.recoveryCodes.remaining(t.user.id), 9);

    const b = await password();
    const spent = await browse(b.jar, b.pageUrl, {
      form: { csrf: csrfOf(b.next.text), step: 'recovery', recovery_code: first },
    });
    assert.equal(spent.res.status, 400);
    assert.match(spent.text, /recovery code is not valid, or it was used already/);
    await t.store.users.clearLoginFailures(t.user.id, Date.now());
  });

  test('wrong codes count towards the lock-out; a right password in between does not reset the count', async () => {
    const user = (await addUser(t.store, { username: 'carol', password: 'carol password 12345' }, 'test'))
      .user;
    const record = (await t.store.users.get(user.id)) as UserRecord;
    const deps = { store: t.store, kek: null, now: Date.now };
    const carolSecret = (await beginTotpSetup(deps, record, 'test')).secret;
    await confirmTotpSetup(deps, record, code(carolSecret, -1), 'test');
    for (let i = 0; i < 2; i++) {
      const a = await password('carol', 'carol password 12345');
      for (let j = 0; j < 2; j++) {
        const bad = await browse(a.jar, a.pageUrl, {
          form: { csrf: csrfOf(a.next.text), step: 'otp', code: '12345x' },
        });
        if (i === 1 && j === 1) {
          // The fourth failure locks: the sign-in ends with the generic answer.
          assert.match(bad.text, /Invalid username or password/);
        } else assert.match(bad.text, /That code is not valid/);
      }
    }
    const locked = await t.store.users.get(user.id);
    assert.ok(locked?.lockedUntil !== null && (locked?.lockedUntil ?? 0) > Date.now(), 'locked');
    const refused = await password('carol', 'carol password 12345');
    assert.equal(refused.next.res.status, 400);
    assert.match(refused.next.text, /Invalid username or password/);
  });

  test('a user who must use a second factor and has none sets up an authenticator app at the login', async () => {
    await addUser(
      t.store,
      { username: 'dave', password: 'dave password 123456', roles: { '*': ['auditor'] } },
      'test',
    );
    const a = await password('dave', 'dave password 123456');
    assert.equal(a.next.res.status, 200);
    assert.match(a.next.text, /Set up a second factor/);
    assert.match(a.next.text, /<svg role="img" aria-label="QR code[^"]*" class="qr"/);
    assert.doesNotMatch(a.next.text, /<script/);
    const shown = (/id="totp-secret">([A-Z2-7 ]+)</.exec(a.next.text)?.[1] ?? '').replace(/ /g, '');
    assert.equal(shown.length, 32);
    const wrong = await browse(a.jar, a.pageUrl, {
      form: { csrf: csrfOf(a.next.text), step: 'setup', code: '0000000' },
    });
    assert.equal(wrong.res.status, 400);
    const confirmed = await browse(a.jar, a.pageUrl, {
      form: { csrf: csrfOf(wrong.text), step: 'setup', code: code(shown) },
    });
    assert.equal(confirmed.res.status, 200, confirmed.text);
    const codes = [...confirmed.text.matchAll(/<li>([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})<\/li>/g)].map(
      (m) => m[1],
    );
    assert.equal(codes.length, 10);
    const done = await browse(a.jar, a.pageUrl, { form: { csrf: csrfOf(confirmed.text), step: 'continue' } });
    assert.equal(done.res.status, 303, done.text);
    const tokens = await redeem(a.jar, done.location as string, a.verifier);
    assert.deepEqual(decodePart(tokens.id_token as string, 1).amr, ['pwd', 'otp', 'mfa']);
  });

  test('a user without a second factor who need not have one: amr pwd, acr pwd', async () => {
    await addUser(t.store, { username: 'erin', password: 'erin password 1234567' }, 'test');
    const a = await password('erin', 'erin password 1234567');
    assert.equal(a.next.res.status, 303);
    const tokens = await redeem(a.jar, a.next.location as string, a.verifier);
    assert.deepEqual(decodePart(tokens.access_token as string, 1).amr, ['pwd']);
    assert.equal(decodePart(tokens.access_token as string, 1).acr, 'urn:jwtgate:acr:pwd');
  });

  test('a step posted out of order starts over; the passkey page loads the two scripts under script-src self', async () => {
    const a = await password();
    const skipped = await browse(a.jar, a.pageUrl, { form: { csrf: csrfOf(a.next.text), step: 'continue' } });
    assert.equal(skipped.res.status, 400);
    assert.match(skipped.text, /expired. Sign in again/);
    const page = await browse(a.jar, `${a.pageUrl}/passkey`);
    assert.equal(page.res.status, 200);
    assert.match(page.res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(page.text, /<script src="\/assets\/simplewebauthn-browser\.js\?v=[\w-]+"><\/script>/);
    assert.match(page.text, /data-options="\{&quot;/);
    const script = await fetch(`${t.url}/assets/passkey.js`);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await script.text(), /startAuthentication/);
  });
});
