// Strong sign-in end to end in Debian's Chromium (playwright-core), every part a real process:
// `jwtgate issuer` (issuer URL http://localhost:<port>, since WebAuthn takes no IP address as its
// relying party) on a temporary SQLite store, a web app client whose callback is a small server of
// the test, and the test redeeming the codes. A user who must use a second factor sets up an
// authenticator app at the login from the QR code (the code typed is computed here from the
// secret the page shows, and the QR code is checked to encode that otpauth URI); signs in again
// with a code, a reused code being refused; uses a recovery code once, refused the second time.
// Another user registers a passkey on the account page through Chromium's virtual authenticator
// (DevTools protocol WebAuthn domain, user verification on) and signs in with it instead of a
// password, and as the second factor after the password. Each token's amr and acr are checked.
// Screenshots go to artifacts/screenshots/.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addClient } from '../../src/issuer/admin/manage-clients.ts';
import { addUser } from '../../src/issuer/admin/manage-users.ts';
import { renderQrSvg } from '../../src/issuer/mfa/qr-code.ts';
import { totpUri } from '../../src/issuer/mfa/totp.ts';
import {
  freePort,
  type IssuerProcess,
  openTempStore,
  startIssuerProcess,
  tempDir,
} from '../issuer/helpers.ts';
import {
  authorize as authorizeAt,
  type CodeFlowClient,
  enterPassword as password,
  redeem as redeemAt,
  startCallbackServer,
} from './browser-sign-in.ts';
import { clickAndLoad, haveChromium, launchChromium, newPage, screenshot as shot } from './chromium.ts';

const API = 'https://api.mfa.example';
const ALICE = { username: 'alice', password: 'alice strong sign-in password' };
const BOB = { username: 'bob', password: 'bob passkey sign-in password' };

const totp = (secret: string, steps = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + steps * 30_000 });

if (haveChromium('strong sign-in in a browser')) {
  describe('TOTP and passkeys in Chromium', { timeout: 180_000 }, () => {
    const tmp = tempDir('jwtgate-mfa-e2e-');
    const storeFile = join(tmp.dir, 'issuer.db');
    let issuer: IssuerProcess | undefined;
    let browser: Browser | undefined;
    let callbacks: Server | undefined;
    let issuerUrl = '';
    let client: CodeFlowClient;
    /** Alice's TOTP secret, read from the set-up page; her recovery codes, read once. */
    let aliceSecret = '';
    let recoveryCodes: string[] = [];
    /** Bob's browser, whose page holds the virtual authenticator with his passkey. */
    let bob: { context: BrowserContext; page: Page } | undefined;

    const newContext = () => {
      assert.ok(browser);
      return newPage(browser);
    };
    const authorize = (p: Page) => authorizeAt(p, client);
    const redeem = (p: Page, verifier: string) => redeemAt(p, client, verifier);

    const assertSignIn = (
      tokens: { id: Record<string, unknown>; access: Record<string, unknown> },
      amr: string[],
      acr: string,
    ) => {
      for (const claims of [tokens.id, tokens.access]) {
        assert.deepEqual(claims.amr, amr);
        assert.equal(claims.acr, acr);
      }
    };

    before(async () => {
      const [port, callbackPort] = [await freePort(), await freePort()];
      issuerUrl = `http://localhost:${port}`;
      const redirectUri = `http://localhost:${callbackPort}/callback`;
      callbacks = await startCallbackServer(callbackPort);
      const store = await openTempStore(storeFile);
      const secret = (
        await addClient(
          store,
          {
            id: 'webapp',
            name: 'Web App',
            grantTypes: ['authorization_code'],
            redirectUris: [redirectUri],
            audiences: [API],
          },
          'test',
        )
      ).secret as string;
      client = { issuerUrl, clientId: 'webapp', redirectUri, secret };
      await addUser(store, { ...ALICE, mfaRequired: true }, 'test');
      await addUser(store, BOB, 'test');
      await store.close();
      issuer = startIssuerProcess(['--port', String(port), '--issuer-url', issuerUrl, '--store', storeFile]);
      await issuer.ready;
      // localhost is 127.0.0.1 here, where the issuer and the callback listen.
      browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1']);
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await issuer?.stop();
      await new Promise((resolve) => (callbacks ? callbacks.close(resolve) : resolve(undefined)));
      tmp.remove();
    });

    test('a required second factor: the authenticator app is set up at the login from its QR code', async () => {
      const { context, page } = await newContext();
      try {
        const verifier = await authorize(page);
        await shot(page, 'mfa-login-page');
        await password(page, ALICE);
        assert.equal(await page.locator('h1').textContent(), 'Set up a second factor');
        aliceSecret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
        assert.match(aliceSecret, /^[A-Z2-7]{32}$/);
        // The QR code is the otpauth URI of that secret: drawn again from it, it is the same SVG.
        const expected = await renderQrSvg(
          totpUri(aliceSecret, { issuer: new URL(issuerUrl).host, account: ALICE.username }),
          'QR code to add this account to an authenticator app',
        );
        assert.equal(
          await page.locator('svg.qr').evaluate((svg) => svg.outerHTML),
          expected.trim().replace(/\/>/g, '></path>'),
        );
        assert.equal(await page.locator('script').count(), 0, 'no script on the set-up page');
        await shot(page, 'mfa-totp-setup');

        await page.fill('#setup-code', '000000');
        await clickAndLoad(page, 'button:has-text("Confirm")');
        assert.match((await page.locator('#step-error').textContent()) ?? '', /not from this authenticator/);
        await page.fill('#setup-code', totp(aliceSecret));
        await clickAndLoad(page, 'button:has-text("Confirm")');
        recoveryCodes = (await page.locator('#recovery-codes li').allTextContents()).map((c) => c.trim());
        assert.equal(recoveryCodes.length, 10);
        await shot(page, 'mfa-recovery-codes');
        await clickAndLoad(page, 'button:has-text("Continue")');
        assertSignIn(await redeem(page, verifier), ['pwd', 'otp', 'mfa'], 'urn:jwtgate:acr:mfa');
      } finally {
        await context.close();
      }
    });

    test('the next sign-in asks for a code: a code already used is refused, the next one signs in', async () => {
      const { context, page } = await newContext();
      try {
        const verifier = await authorize(page);
        await password(page, ALICE);
        assert.equal(await page.locator('h1').textContent(), 'Verify it is you');
        // The set-up's step (or an earlier one) is spent: never taken again.
        await page.fill('#otp', totp(aliceSecret, -1));
        await clickAndLoad(page, 'button:has-text("Verify")');
        assert.match((await page.locator('#step-error').textContent()) ?? '', /That code is not valid/);
        await shot(page, 'mfa-code-refused');
        await page.fill('#otp', totp(aliceSecret, 1));
        await clickAndLoad(page, 'button:has-text("Verify")');
        assertSignIn(await redeem(page, verifier), ['pwd', 'otp', 'mfa'], 'urn:jwtgate:acr:mfa');
      } finally {
        await context.close();
      }
    });

    test('a recovery code signs in once; used again, it is refused', async () => {
      const [first] = recoveryCodes as [string];
      for (const attempt of ['first', 'second'] as const) {
        const { context, page } = await newContext();
        try {
          const verifier = await authorize(page);
          await password(page, ALICE);
          await page.fill('#recovery-code', first);
          await clickAndLoad(page, 'button:has-text("Use recovery code")');
          if (attempt === 'first') {
            assertSignIn(await redeem(page, verifier), ['pwd', 'otp', 'mfa'], 'urn:jwtgate:acr:mfa');
          } else {
            assert.ok(page.url().startsWith(`${issuerUrl}/interaction/`), page.url());
            assert.match((await page.locator('#step-error').textContent()) ?? '', /used already/);
            await shot(page, 'mfa-recovery-code-refused');
          }
        } finally {
          await context.close();
        }
      }
    });

    test('a passkey is registered on the account page through the virtual authenticator', async () => {
      bob = await newContext();
      const { page } = bob;
      const cdp = await bob.context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
      await page.goto(`${issuerUrl}/account`);
      assert.equal(new URL(page.url()).pathname, '/account/login');
      await password(page, BOB);
      assert.equal(new URL(page.url()).pathname, '/account');
      await shot(page, 'account-page');
      await clickAndLoad(page, '#add-passkey');
      assert.equal(await page.locator('h1').textContent(), 'Add a passkey');
      await page.fill('#passkey-name', 'Test laptop');
      await shot(page, 'account-add-passkey');
      const loaded = page.waitForEvent('load', { timeout: 15_000 });
      await page.click('#passkey-start');
      await loaded;
      assert.equal(await page.locator('h1').textContent(), 'Passkey added');
      assert.equal(
        await page.locator('#recovery-codes li').count(),
        10,
        'the first factor brings recovery codes',
      );
      await clickAndLoad(page, '#back-to-account');
      assert.match((await page.locator('#passkeys').textContent()) ?? '', /Test laptop/);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]?.isResidentCredential, true);
      await shot(page, 'account-passkey-listed');
    });

    test('the passkey signs in instead of a password: amr hwk, user, mfa; acr phr', async () => {
      assert.ok(bob);
      const { page } = bob;
      const verifier = await authorize(page);
      await clickAndLoad(page, '#use-passkey');
      assert.equal(await page.locator('h1').textContent(), 'Sign in with a passkey');
      await shot(page, 'passkey-sign-in');
      await page.click('#passkey-start');
      assertSignIn(await redeem(page, verifier), ['hwk', 'user', 'mfa'], 'phr');
    });

    test('with a passkey, the password is followed by a second step; the passkey answers it', async () => {
      assert.ok(bob);
      const context = bob.context;
      await context.clearCookies();
      const { page } = bob;
      const verifier = await authorize(page);
      await password(page, BOB);
      assert.equal(await page.locator('h1').textContent(), 'Verify it is you');
      await clickAndLoad(page, '#use-passkey');
      assert.equal(await page.locator('h1').textContent(), 'Use your passkey');
      await page.click('#passkey-start');
      assertSignIn(await redeem(page, verifier), ['pwd', 'hwk', 'user', 'mfa'], 'phr');
      await context.close();
    });
  });
}
