// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) over HTTP: the issuer's own
// confirmation page with its CSRF token; confirming ends the session and revokes the session's
// grants (refresh tokens gone, access tokens on the revocation list).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodePart } from '../helpers.ts';
import {
  browse,
  CLIENT_ID,
  type LoginIssuer,
  loginAndRedeem,
  REDIRECT_URI,
  startLoginIssuer,
  tokenRequest,
} from './login-helpers.ts';

describe('logout', () => {
  let t: LoginIssuer;
  before(async () => {
    t = await startLoginIssuer();
  });
  after(() => t.close());

  test('the confirmation page: strict headers and a CSRF token; a forged confirmation changes nothing', async () => {
    const { jar, tokens } = await loginAndRedeem(t);
    assert.ok(jar.has('_session'));
    const page = await browse(
      jar,
      `${t.url}/logout?${new URLSearchParams({
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: REDIRECT_URI,
        state: 'bye',
      })}`,
    );
    assert.equal(page.res.status, 200);
    assert.equal(page.res.headers.get('x-frame-options'), 'DENY');
    assert.match(
      page.res.headers.get('content-security-policy') ?? '',
      /form-action 'self' https:\/\/app\.example/,
    );
    assert.match(page.text, /<html lang="en">/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    assert.ok(xsrf);
    // Without the CSRF token nothing happens.
    const forged = await browse(jar, `${t.url}/logout/confirm`, { form: { logout: 'yes' } });
    assert.equal(forged.res.status, 400);
    assert.equal(
      (await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }))
        .status,
      200,
    );
  });

  test('confirming ends the session and the grant', async () => {
    const { jar, tokens } = await loginAndRedeem(t);
    const page = await browse(
      jar,
      `${t.url}/logout?client_id=${CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=bye`,
    );
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const done = await browse(jar, `${t.url}/logout/confirm`, { form: { xsrf, logout: 'yes' } });
    assert.equal(done.res.status, 303);
    assert.equal(done.location, `${REDIRECT_URI}?state=bye`);
    assert.equal(jar.has('_session'), false);
    const r = await tokenRequest(t, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_grant');
    const { revocations } = (await (await fetch(`${t.url}/revocations`)).json()) as {
      revocations: { jti: string }[];
    };
    assert.ok(revocations.some((e) => e.jti === decodePart(tokens.access_token as string, 1).jti));
    // A new authorization asks for a login again.
    const again = await browse(
      jar,
      `${t.url}/authorize?client_id=${CLIENT_ID}&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    );
    assert.match(again.location ?? '', /^\/interaction\//);
  });

  test('without post_logout_redirect_uri, the issuer says so itself', async () => {
    const { jar } = await loginAndRedeem(t);
    const page = await browse(jar, `${t.url}/logout`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const done = await browse(jar, `${t.url}/logout/confirm`, { form: { xsrf, logout: 'yes' } });
    assert.equal(done.res.status, 303);
    const success = await browse(jar, new URL(done.location as string, t.url).href);
    assert.equal(success.res.status, 200);
    assert.match(success.text, /You are signed out/);
    assert.equal(success.res.headers.get('x-frame-options'), 'DENY');
  });
});
