// End to end in a real browser, every part a real process: `jwtgate issuer` on a temporary SQLite
// store (client and users made with the CLI), `jwtgate gateway` in front of two upstreams
// (/billing/** needs role billing, /admin/** role admin) following the issuer's revocation feed,
// and the sample web app of examples/webapp (openid-client). Debian's Chromium, driven by
// playwright-core (never a downloaded browser), signs in, calls the services, refreshes, has a
// replayed refresh token revoke the grant, locks an account out and signs out. Screenshots go to
// artifacts/screenshots/ at the repository root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  basic,
  CLI,
  freePort,
  type IssuerProcess,
  sleep,
  startIssuerProcess,
  tempDir,
} from '../issuer/helpers.ts';
import { clickAndLoad, haveChromium, launchChromium, screenshot as shot } from './chromium.ts';
import { type GatewayProcess, startGateway, startUpstream, type Upstream } from './harness.ts';
import { startWebApp, type WebAppProcess } from './webapp-harness.ts';

const API = 'https://api.webapp.example';
const ALICE = { username: 'alice', password: 'alice browser test password' };
const BOB = { username: 'bob', password: 'bob browser test password' };
const LOCKOUT = 3;
const INVALID_LOGIN = 'Invalid username or password.';

/** `jwtgate <args> --json`, with `stdin` written to its standard input; the parsed output. */
function cliJson(args: string[], stdin = ''): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, ...args, '--json'], {
      env: { ...process.env, JWTGATE_KEY_ENCRYPTION_KEY: undefined },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdin.end(stdin);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`jwtgate ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

/** A refresh token grant at the issuer, as the web app (a replay by someone who copied a token). */
async function refreshAtIssuer(issuerUrl: string, secret: string, refreshToken: string) {
  const res = await fetch(`${issuerUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('webapp', secret) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

if (haveChromium('login in a browser')) {
  describe('users log in to a web app and call services through the gateway (Chromium)', () => {
    const tmp = tempDir('jwtgate-login-e2e-');
    const store = join(tmp.dir, 'issuer.db');
    let issuer: IssuerProcess | undefined;
    let gateway: GatewayProcess | undefined;
    let webapp: WebAppProcess | undefined;
    const upstreams: Upstream[] = [];
    let browser: Browser | undefined;
    let issuerUrl: string;
    let gatewayUrl: string;
    let appUrl: string;
    let secret: string;
    /** Alice's browser (her issuer session lives on from test to test). */
    let alice: BrowserContext;
    let page: Page;

    /** The web app session's tokens (GET /debug/tokens, enabled by WEBAPP_DEBUG_TOKENS=1). */
    const sessionTokens = async (p: Page): Promise<Tokens> => {
      const r = await p.request.get(`${appUrl}/debug/tokens`);
      assert.equal(r.status(), 200);
      const tokens = (await r.json()) as Tokens | null;
      assert.ok(tokens, 'the web app session has tokens');
      return tokens;
    };
    /** The answer shown on the home page after an action. */
    const result = async (p: Page) => (await p.locator('#result').textContent({ timeout: 10_000 })) ?? '';
    /** Clicks a button of the web app; its answer comes back on the home page. */
    const press = (p: Page, label: string) => clickAndLoad(p, `button:has-text("${label}")`);
    const submitLogin = async (p: Page, credentials: { username: string; password: string }) => {
      await p.fill('#username', credentials.username);
      await p.fill('#password', credentials.password);
      await clickAndLoad(p, 'button[value="login"]');
    };

    before(async () => {
      const [issuerPort, gatewayPort, appPort] = [await freePort(), await freePort(), await freePort()];
      issuerUrl = `http://127.0.0.1:${issuerPort}`;
      gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
      appUrl = `http://127.0.0.1:${appPort}`;

      const client = await cliJson([
        'clients',
        'add',
        'webapp',
        '--name',
        'Web App',
        '--grant-type',
        'authorization_code,refresh_token',
        '--redirect-uri',
        `${appUrl}/callback,${appUrl}/signed-out`,
        '--audience',
        API,
        '--store',
        store,
      ]);
      secret = client.client_secret as string;
      assert.equal(typeof secret, 'string');
      await cliJson(
        [
          'users',
          'add',
          ALICE.username,
          '--name',
          'Alice Example',
          '--email',
          'alice@example.com',
          '--roles',
          'webapp=billing',
          '--password-stdin',
          '--store',
          store,
        ],
        `${ALICE.password}\n`,
      );
      await cliJson(
        ['users', 'add', BOB.username, '--roles', 'webapp=billing', '--password-stdin', '--store', store],
        `${BOB.password}\n`,
      );

      // No grace for a retried refresh: a replay is reuse at once. Lock-out after LOCKOUT failures.
      issuer = startIssuerProcess([
        '--port',
        String(issuerPort),
        '--store',
        store,
        '--refresh-grace',
        '0',
        '--login-lockout',
        String(LOCKOUT),
      ]);
      await issuer.ready;

      upstreams.push(await startUpstream('billing'), await startUpstream('admin'));
      const [billing, admin] = upstreams as [Upstream, Upstream];
      const config = join(tmp.dir, 'jwtgate.yaml');
      writeFileSync(
        config,
        [
          'gateway:',
          `  listen: 127.0.0.1:${gatewayPort}`,
          '  revocation:',
          `    feed: ${issuerUrl}`,
          '  providers:',
          '    issuer:',
          `      issuer: ${issuerUrl}`,
          `      audiences: [${API}]`,
          '      algorithms: [ES256]',
          '      token_types: [at+jwt]',
          '  routes:',
          '    - name: billing',
          '      match: { path: /billing/** }',
          '      requires: { provider: issuer, roles_any: [billing] }',
          `      upstream: ${billing.origin}`,
          '    - name: admin',
          '      match: { path: /admin/** }',
          '      requires: { provider: issuer, roles_any: [admin] }',
          `      upstream: ${admin.origin}`,
          '',
        ].join('\n'),
      );
      gateway = await startGateway(config);

      webapp = await startWebApp({
        ISSUER_URL: issuerUrl,
        CLIENT_ID: 'webapp',
        CLIENT_SECRET: secret,
        PORT: String(appPort),
        HOST: '127.0.0.1',
        GATEWAY_URL: gatewayUrl,
        WEBAPP_DEBUG_TOKENS: '1',
      });

      browser = await launchChromium();
      alice = await browser.newContext();
      alice.setDefaultTimeout(10_000);
      alice.setDefaultNavigationTimeout(15_000);
      page = await alice.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await webapp?.stop();
      await gateway?.stop();
      await issuer?.stop();
      await Promise.all(upstreams.map((u) => u.close()));
      tmp.remove();
    });

    test('sign in at the issuer: the login page, a wrong password, then back at the web app', async () => {
      await page.goto(appUrl);
      assert.equal(await page.locator('#signed-out').textContent(), 'You are not signed in.');
      await clickAndLoad(page, '#sign-in');
      assert.ok(page.url().startsWith(`${issuerUrl}/interaction/`), page.url());
      assert.equal(await page.locator('h1').textContent(), 'Sign in');
      assert.match((await page.locator('main').textContent()) ?? '', /to continue to Web App/);
      await shot(page, 'login-page');

      await submitLogin(page, { username: ALICE.username, password: 'not her password' });
      assert.ok(page.url().startsWith(`${issuerUrl}/interaction/`), page.url());
      assert.equal(await page.locator('#login-error').textContent(), INVALID_LOGIN);
      // The username is kept; the password is not.
      assert.equal(await page.inputValue('#username'), ALICE.username);
      assert.equal(await page.inputValue('#password'), '');
      await shot(page, 'login-error');

      await submitLogin(page, ALICE);
      assert.equal(page.url(), `${appUrl}/`);
      assert.equal(await page.locator('#user-name').textContent(), 'Alice Example');
      assert.equal(await page.locator('#user-roles').textContent(), 'billing');
      // The session cookie is HttpOnly and SameSite=Lax; no token is ever in a cookie.
      const cookies = await alice.cookies(appUrl);
      const session = cookies.find((c) => c.name === 'webapp_session');
      assert.ok(session);
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      const tokens = await sessionTokens(page);
      for (const c of cookies) assert.ok(!c.value.includes(tokens.accessToken.slice(0, 20)));
      await shot(page, 'webapp-signed-in');
    });

    test('the gateway lets the billing role through to /billing and refuses /admin', async () => {
      const [billing, admin] = upstreams as [Upstream, Upstream];
      await press(page, 'Call billing');
      const ok = await result(page);
      assert.match(ok, /GET \/billing\/invoices: 200/);
      assert.equal(billing.seen.at(-1)?.url, '/billing/invoices');
      await shot(page, 'webapp-call-billing');

      const seenByAdmin = admin.seen.length;
      await press(page, 'Call admin');
      const denied = await result(page);
      assert.match(denied, /GET \/admin\/users: 403/);
      assert.match(denied, /ERR_INSUFFICIENT_ROLE/);
      assert.equal(admin.seen.length, seenByAdmin, 'the admin upstream never saw the request');
      await shot(page, 'webapp-call-admin');
    });

    test('refresh rotates the refresh token; replaying a spent one revokes the whole grant', async () => {
      const first = await sessionTokens(page);
      const firstId = await page.locator('#token-id').textContent();
      await press(page, 'Refresh tokens');
      assert.match(await result(page), /Tokens refreshed/);
      const secondId = await page.locator('#token-id').textContent();
      assert.notEqual(secondId, firstId);
      const second = await sessionTokens(page);
      assert.notEqual(second.refreshToken, first.refreshToken);
      await shot(page, 'webapp-refreshed');

      // The new refresh token works (and is rotated in turn).
      await press(page, 'Refresh tokens');
      assert.match(await result(page), /Tokens refreshed/);
      const current = await sessionTokens(page);
      assert.notEqual(current.refreshToken, second.refreshToken);
      await press(page, 'Call billing');
      assert.match(await result(page), /GET \/billing\/invoices: 200/);

      // Someone replays the first, spent, refresh token: refused, and the grant is revoked.
      const replay = await refreshAtIssuer(issuerUrl, secret, first.refreshToken);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      const legitimate = await refreshAtIssuer(issuerUrl, secret, current.refreshToken);
      assert.equal(legitimate.status, 400, 'the current refresh token died with the grant');
      assert.equal(legitimate.body.error, 'invalid_grant');

      // The current access token reaches the gateway's revocation list through the feed.
      const started = Date.now();
      let answer = '';
      while (Date.now() - started < 5000) {
        await press(page, 'Call billing');
        answer = await result(page);
        if (!answer.includes(': 200')) break;
        await sleep(200);
      }
      assert.match(answer, /GET \/billing\/invoices: 401/);
      assert.match(answer, /ERR_TOKEN_REVOKED/);
      await shot(page, 'webapp-token-revoked');
      const direct = await fetch(`${gatewayUrl}/billing/invoices`, {
        headers: { authorization: `Bearer ${current.accessToken}` },
      });
      assert.equal(direct.status, 401);

      // The web app's own refresh is refused too: its sign-in has ended.
      await press(page, 'Refresh tokens');
      assert.match(await result(page), /Your sign-in has ended[\s\S]*invalid_grant/);
      assert.equal(await page.locator('#signed-out').textContent(), 'You are not signed in.');
      await shot(page, 'webapp-grant-revoked');
    });

    test(`${LOCKOUT} wrong passwords lock the account: the right one is then refused the same way`, async () => {
      assert.ok(browser);
      const context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      context.setDefaultNavigationTimeout(15_000);
      try {
        const bob = await context.newPage();
        await bob.goto(appUrl);
        await clickAndLoad(bob, '#sign-in');
        assert.ok(bob.url().startsWith(`${issuerUrl}/interaction/`), bob.url());
        for (let i = 1; i <= LOCKOUT; i++) {
          await submitLogin(bob, { username: BOB.username, password: `wrong password ${i}` });
          assert.equal(await bob.locator('#login-error').textContent(), INVALID_LOGIN, `attempt ${i}`);
        }
        await submitLogin(bob, BOB);
        assert.ok(bob.url().startsWith(`${issuerUrl}/interaction/`), 'still on the login page');
        assert.equal(await bob.locator('#login-error').textContent(), INVALID_LOGIN);
        await shot(bob, 'login-locked');
        const shown = await cliJson(['users', 'show', BOB.username, '--store', store]);
        assert.equal(typeof shown.locked_until, 'string', JSON.stringify(shown));
      } finally {
        await context.close();
      }
    });

    test("sign out: the issuer's confirmation, then signed out everywhere; the refresh token is dead", async () => {
      // Alice's issuer session is still there: signing in again needs no password.
      await page.goto(appUrl);
      await clickAndLoad(page, '#sign-in');
      if (page.url().startsWith(`${issuerUrl}/interaction/`)) await submitLogin(page, ALICE);
      assert.equal(page.url(), `${appUrl}/`);
      assert.equal(await page.locator('#user-name').textContent(), 'Alice Example');
      const tokens = await sessionTokens(page);

      await press(page, 'Sign out');
      assert.ok(page.url().startsWith(`${issuerUrl}/logout`), page.url());
      assert.equal(await page.locator('h1').textContent(), 'Sign out');
      await shot(page, 'logout-confirm');
      await clickAndLoad(page, 'button[value="yes"]');
      assert.ok(page.url().startsWith(`${appUrl}/signed-out`), page.url());
      assert.match(await result(page), /You are signed out/);
      assert.equal(await page.locator('#signed-out').textContent(), 'You are not signed in.');
      await shot(page, 'webapp-signed-out');

      const refused = await refreshAtIssuer(issuerUrl, secret, tokens.refreshToken);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
      // The issuer session has ended too: signing in asks for the password again.
      await clickAndLoad(page, '#sign-in');
      assert.ok(page.url().startsWith(`${issuerUrl}/interaction/`), page.url());
      assert.equal(await page.locator('h1').textContent(), 'Sign in');
    });
  });
}
