// A route requiring a strong sign-in, end to end in Debian's Chromium, every part a real process:
// a `jwtgate issuer` on a temporary SQLite store with a public client (no secret, PKCE, the
// callback a small server of the test), a `jwtgate gateway` whose /admin/** route requires
// `amr_any: [otp, hwk]` and whose /orders/** route only a valid token, and an echo upstream
// behind both. Alice signs in on the login page with her password only: the gateway forwards that
// token to /orders but refuses it at /admin with 401 insufficient_user_authentication (RFC 9470),
// the upstream never seeing the request. She then sets up an authenticator app on her account
// page (the code typed is computed here from the secret the page shows) and signs in again, the
// password followed by a code: that token passes /admin to the upstream.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Browser } from 'playwright-core';
import { stringify } from 'yaml';
import { addClient } from '../../src/issuer/admin/manage-clients.ts';
import { addUser } from '../../src/issuer/admin/manage-users.ts';
import {
  freePort,
  type IssuerProcess,
  tempDir as issuerTempDir,
  openTempStore,
  startIssuerProcess,
} from '../issuer/helpers.ts';
import {
  authorize,
  type CodeFlowClient,
  enterPassword,
  redeem,
  type SignedIn,
  startCallbackServer,
} from './browser-sign-in.ts';
import { clickAndLoad, haveChromium, launchChromium, newPage, screenshot } from './chromium.ts';
import {
  type GatewayProcess,
  issuerProvider,
  send,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

const API = 'https://admin.strong.example';
const ALICE = { username: 'alice', password: 'alice step-up sign-in password' };

if (haveChromium('a route requiring a strong sign-in, in a browser')) {
  describe('a gateway route requiring a strong sign-in (amr_any), with tokens from Chromium sign-ins', {
    timeout: 180_000,
  }, () => {
    const issuerDir = issuerTempDir('jwtgate-amr-e2e-');
    const gatewayDir = tempDir();
    let issuer: IssuerProcess | undefined;
    let gateway: GatewayProcess | undefined;
    let upstream: Upstream | undefined;
    let callbacks: Server | undefined;
    let browser: Browser | undefined;
    let client: CodeFlowClient;
    let gatewayUrl = '';
    let passwordOnly: SignedIn | undefined;

    const call = (path: string, token: string) =>
      send(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

    before(async () => {
      const [port, callbackPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
      const issuerUrl = `http://127.0.0.1:${port}`;
      const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
      client = { issuerUrl, clientId: 'admin-spa', redirectUri, resource: API };
      callbacks = await startCallbackServer(callbackPort);
      const store = await openTempStore(join(issuerDir.dir, 'issuer.db'));
      await addClient(
        store,
        {
          id: 'admin-spa',
          authMethod: 'none',
          grantTypes: ['authorization_code'],
          redirectUris: [redirectUri],
          audiences: [API],
        },
        'test',
      );
      // No second factor required of her: a password alone signs her in.
      await addUser(store, ALICE, 'test');
      await store.close();
      issuer = startIssuerProcess([
        '--port',
        String(port),
        '--issuer-url',
        issuerUrl,
        '--store',
        join(issuerDir.dir, 'issuer.db'),
      ]);
      await issuer.ready;
      upstream = await startUpstream('admin');
      const config = {
        gateway: {
          listen: `127.0.0.1:${gatewayPort}`,
          providers: {
            issuer: issuerProvider(issuerUrl, API),
          },
          routes: [
            {
              name: 'orders',
              match: { path: '/orders/**' },
              requires: { provider: 'issuer' },
              upstream: upstream.origin,
            },
            {
              name: 'admin',
              match: { path: '/admin/**' },
              requires: { provider: 'issuer', amr_any: ['otp', 'hwk'] },
              upstream: upstream.origin,
              identity_headers: { 'x-user': 'sub' },
            },
          ],
        },
      };
      gateway = await startGateway(gatewayDir.write('gateway.yaml', stringify(config)));
      gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gateway?.stop();
      await issuer?.stop();
      await upstream?.close();
      await new Promise((resolve) => (callbacks ? callbacks.close(resolve) : resolve(undefined)));
      gatewayDir.cleanup();
      issuerDir.remove();
    });

    test('a password-only sign-in: the token passes /orders, and /admin refuses it with 401 insufficient_user_authentication', async () => {
      assert.ok(browser);
      const { context, page } = await newPage(browser);
      try {
        const verifier = await authorize(page, client);
        await enterPassword(page, ALICE);
        passwordOnly = await redeem(page, client, verifier);
      } finally {
        await context.close();
      }
      assert.deepEqual(passwordOnly.access.amr, ['pwd']);
      const token = passwordOnly.accessToken;

      assert.equal((await call('/orders/1', token)).status, 200, 'a valid token otherwise');
      const seenBefore = upstream?.seen.length;
      const refused = await call('/admin/report', token);
      assert.equal(refused.status, 401, refused.body);
      assert.equal(refused.json().error, 'ERR_INSUFFICIENT_AUTHENTICATION');
      assert.match(
        String(refused.headers['www-authenticate']),
        /^Bearer .*error="insufficient_user_authentication"/,
      );
      assert.equal(upstream?.seen.length, seenBefore, 'the upstream never saw the refused request');
    });

    test('after setting up an authenticator app, a sign-in with password and code passes /admin to the upstream', async () => {
      assert.ok(browser && passwordOnly);
      // The account page: her password, then an authenticator app set up from the secret shown.
      const account = await newPage(browser);
      let secret = '';
      try {
        const { page } = account;
        await page.goto(`${client.issuerUrl}/account`);
        assert.equal(new URL(page.url()).pathname, '/account/login');
        await enterPassword(page, ALICE);
        assert.equal(new URL(page.url()).pathname, '/account');
        await clickAndLoad(page, 'button:has-text("Set up an authenticator app")');
        secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
        assert.match(secret, /^[A-Z2-7]{32}$/);
        await page.fill('#setup-code', TOTP.generate({ secret: Secret.fromBase32(secret) }));
        await clickAndLoad(page, 'button:has-text("Confirm")');
        assert.equal(await page.locator('#recovery-codes li').count(), 10);
      } finally {
        await account.context.close();
      }

      const { context, page } = await newPage(browser);
      let strong: SignedIn;
      try {
        const verifier = await authorize(page, client);
        await enterPassword(page, ALICE);
        assert.equal(await page.locator('h1').textContent(), 'Verify it is you');
        // The next step's code: the set-up's own step is spent.
        const code = TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + 30_000 });
        await page.fill('#otp', code);
        await screenshot(page, 'gateway-step-up-code');
        await clickAndLoad(page, 'button:has-text("Verify")');
        strong = await redeem(page, client, verifier);
      } finally {
        await context.close();
      }
      assert.deepEqual(strong.access.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(strong.access.sub, passwordOnly.access.sub, 'the same user');

      const passed = await call('/admin/report', strong.accessToken);
      assert.equal(passed.status, 200, passed.body);
      const seen = upstream?.seen.at(-1);
      assert.equal(seen?.url, '/admin/report');
      assert.equal(seen?.headers['x-user'], strong.access.sub);
      // The password-only token is still refused: the route asks how the user signed in.
      assert.equal((await call('/admin/report', passwordOnly.accessToken)).status, 401);
    });
  });
}
