// Interoperability: openid-client v6 (an OpenID Certified relying party library) runs the users'
// authorization code flow with PKCE against the issuer: discovery, the authorization URL, the
// code exchange with ID token validation, userinfo, refresh with rotation, and the logout URL;
// then each newer grant: a public client's code flow with no secret, the device flow (RFC 8628)
// and token exchange (RFC 8693). The browser's part (login form) is driven over HTTP by the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'openid-client';
import { addClient } from '../../src/issuer/admin/manage-clients.ts';
import { AUDIENCE, decodePart } from '../issuer/helpers.ts';
import {
  browse,
  CLIENT_ID,
  CookieJar,
  followToCallback,
  type LoginIssuer,
  loginAndRedeem,
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

/** The user's part of the device flow, by hand over HTTP: code page, confirm page, login page. */
async function approveDevice(t: LoginIssuer, userCode: string): Promise<string> {
  const jar = new CookieJar();
  const xsrf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] as string;
  const page = await browse(jar, `${t.url}/device`);
  const confirm = await browse(jar, `${t.url}/device`, {
    form: { xsrf: xsrf(page.text), user_code: userCode },
  });
  const confirmed = await browse(jar, `${t.url}/device`, {
    form: { xsrf: xsrf(confirm.text), user_code: userCode, confirm: 'yes' },
  });
  const loginUrl = new URL(confirmed.location as string, t.url).href;
  const login = await browse(jar, loginUrl);
  const csrf = /name="csrf" value="([^"]+)"/.exec(login.text)?.[1] as string;
  let next = await browse(jar, loginUrl, { form: { username: 'alice', password: PASSWORD, csrf } });
  for (let i = 0; i < 6 && next.location !== null; i++)
    next = await browse(jar, new URL(next.location, t.url).href);
  return next.text;
}

describe('openid-client v6: the new grants', () => {
  let t: LoginIssuer;
  let serviceSecret = '';
  const options = { execute: [oauth.allowInsecureRequests] };

  before(async () => {
    t = await startLoginIssuer({ deviceFlow: { pollIntervalSeconds: 1 } });
    await addClient(
      t.store,
      {
        id: 'spa',
        authMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://spa.example/callback'],
        webOrigins: ['https://spa.example'],
        audiences: [AUDIENCE],
      },
      'test',
    );
    await addClient(
      t.store,
      {
        id: 'tv',
        authMethod: 'none',
        applicationType: 'native',
        grantTypes: ['device_code', 'refresh_token'],
        audiences: [AUDIENCE],
      },
      'test',
    );
    serviceSecret = (
      await addClient(
        t.store,
        {
          id: 'orders',
          audiences: ['https://orders.internal'],
          grantTypes: ['client_credentials', 'token_exchange'],
          tokenExchange: { audiences: ['https://ledger.example'] },
        },
        'test',
      )
    ).secret as string;
  });
  after(() => t.close());

  test('a public client: code + PKCE with no secret (None), then a rotating refresh', async () => {
    const config = await oauth.discovery(
      new URL(t.url),
      'spa',
      { id_token_signed_response_alg: 'ES256' },
      oauth.None(),
      options,
    );
    const verifier = oauth.randomPKCECodeVerifier();
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: 'https://spa.example/callback',
      scope: 'openid offline_access',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st',
    });
    const jar = new CookieJar();
    const start = await browse(jar, url.href);
    const pageUrl = new URL(start.location as string, t.url).href;
    const page = await browse(jar, pageUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const posted = await submitLogin(jar, pageUrl, { username: 'alice', password: PASSWORD, csrf });
    const callback = await followToCallback(
      t,
      jar,
      posted.location as string,
      'https://spa.example/callback',
    );
    const tokens = await oauth.authorizationCodeGrant(
      config,
      new URL(`https://spa.example/callback?${callback}`),
      { pkceCodeVerifier: verifier, expectedState: 'st', idTokenExpected: true },
    );
    assert.equal(tokens.claims()?.sub, t.user.id);
    const refreshed = await oauth.refreshTokenGrant(config, tokens.refresh_token as string);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    // The spent one again: reuse, and the grant is gone.
    await assert.rejects(oauth.refreshTokenGrant(config, tokens.refresh_token as string), {
      error: 'invalid_grant',
    });
    await assert.rejects(oauth.refreshTokenGrant(config, refreshed.refresh_token as string), {
      error: 'invalid_grant',
    });
  });

  test('the device flow: initiateDeviceAuthorization, then pollDeviceAuthorizationGrant while the user approves', async () => {
    const config = await oauth.discovery(
      new URL(t.url),
      'tv',
      { id_token_signed_response_alg: 'ES256' },
      oauth.None(),
      options,
    );
    const device = await oauth.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    assert.equal(device.interval, 1);
    assert.equal(device.verification_uri, `${t.url}/device`);
    const polling = oauth.pollDeviceAuthorizationGrant(config, device);
    assert.match(await approveDevice(t, device.user_code), /Device connected/);
    const tokens = await polling;
    assert.equal(tokens.claims()?.sub, t.user.id);
    assert.equal(decodePart(tokens.access_token, 1).client_id, 'tv');
    assert.equal(typeof tokens.refresh_token, 'string');
  });

  test('token exchange through genericGrantRequest', async () => {
    const { tokens } = await loginAndRedeem(t, 'openid invoices:read');
    const config = await oauth.discovery(
      new URL(t.url),
      'orders',
      undefined,
      oauth.ClientSecretBasic(serviceSecret),
      options,
    );
    const exchanged = await oauth.genericGrantRequest(
      config,
      'urn:ietf:params:oauth:grant-type:token-exchange',
      {
        subject_token: tokens.access_token as string,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        resource: 'https://ledger.example',
      },
    );
    assert.equal(exchanged.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    const claims = decodePart(exchanged.access_token, 1);
    assert.equal(claims.sub, t.user.id);
    assert.deepEqual(claims.act, { sub: 'orders' });
    await assert.rejects(
      oauth.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
        subject_token: tokens.access_token as string,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        resource: 'https://elsewhere.example',
      }),
      { error: 'invalid_target' },
    );
  });
});
