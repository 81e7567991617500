// Interoperability: openid-client v6 (an OpenID Certified relying party library) runs the users'
// authorization code flow with PKCE against the issuer: discovery, the authorization URL, the
// code exchange with ID token validation, userinfo, refresh with rotation, and the logout URL.
// The browser's part (login form) is driven over HTTP by the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'openid-client';
import {
  browse,
  CLIENT_ID,
  CookieJar,
  followToCallback,
  type LoginIssuer,
  PASSWORD,
  REDIRECT_URI,
  startLoginIssuer,
  submitLogin,
} from '../issuer/login/login-helpers.ts';

describe('openid-client v6: authorization code flow with PKCE', () => {
  let t: LoginIssuer;
  let config: oauth.Configuration;

  before(async () => {
    t = await startLoginIssuer();
    config = await oauth.discovery(
      new URL(t.url),
      CLIENT_ID,
      { id_token_signed_response_alg: 'ES256' },
      oauth.ClientSecretBasic(t.secret),
      { execute: [oauth.allowInsecureRequests] },
    );
  });
  after(() => t.close());

  test('log in, redeem, read userinfo, refresh, and build the logout URL', async () => {
    const verifier = oauth.randomPKCECodeVerifier();
    const state = oauth.randomState();
    const nonce = oauth.randomNonce();
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email invoices:read',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    assert.equal(url.origin + url.pathname, `${t.url}/authorize`);

    const jar = new CookieJar();
    const start = await browse(jar, url.href);
    const pageUrl = new URL(start.location as string, t.url).href;
    const page = await browse(jar, pageUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const posted = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
    const callback = await followToCallback(t, jar, posted.location as string);

    const tokens = await oauth.authorizationCodeGrant(config, new URL(`${REDIRECT_URI}?${callback}`), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.equal(claims?.sub, t.user.id);
    assert.equal(claims?.email, 'alice@example.com');
    assert.equal(typeof tokens.refresh_token, 'string');

    const info = await oauth.fetchUserInfo(config, tokens.access_token, t.user.id);
    assert.equal(info.name, 'Alice Example');

    const refreshed = await oauth.refreshTokenGrant(config, tokens.refresh_token as string);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.claims()?.sub, t.user.id);

    const logout = oauth.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: REDIRECT_URI,
    });
    assert.equal(logout.origin + logout.pathname, `${t.url}/logout`);
    const confirm = await browse(jar, logout.href);
    assert.equal(confirm.res.status, 200);
  });
});
