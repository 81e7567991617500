// End to end in a real browser: `jwtgate issuer` as a process, an administrator made with the CLI,
// Debian's Chromium driven by playwright-core (never a downloaded browser). The administrator
// signs in, creates a client, the test uses its credentials at the token endpoint, then pastes a
// token for another audience into the token debugger and reads the failing check. Screenshots of
// every page visited go to artifacts/screenshots/console-*.png at the repository root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  AUDIENCE,
  basic,
  CLI,
  freePort,
  type IssuerProcess,
  startIssuerProcess,
  tempDir,
} from '../issuer/helpers.ts';
import { haveChromium, launchChromium, screenshot } from './chromium.ts';

const ADMIN = { username: 'admin', password: 'browser test admin password' };

/** `jwtgate users add admin --admin --password-stdin`, the password written to its standard input. */
function addAdmin(store: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=jwtgate-source',
        CLI,
        'users',
        'add',
        ADMIN.username,
        '--admin',
        '--password-stdin',
        `--store=${store}`,
      ],
      { env: { ...process.env, JWTGATE_KEY_ENCRYPTION_KEY: undefined }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.stdin.end(`${ADMIN.password}\n`);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

if (haveChromium('console in a browser')) {
  describe('console in a browser (Chromium)', () => {
    const tmp = tempDir('jwtgate-console-e2e-');
    const store = join(tmp.dir, 'issuer.db');
    let issuer: IssuerProcess;
    let url: string;
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];
    const shot = (name: string) => screenshot(page, `console-${name}`);

    before(async () => {
      const added = await addAdmin(store);
      assert.equal(added.code, 0, added.output);
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      issuer = startIssuerProcess(['--port', String(port), '--store', store]);
      await issuer.ready;
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // A CSP violation (a blocked stylesheet, an inline style) shows up as a console error.
      page.on('console', (m) => {
        // The browser's own favicon request is the issuer's 404, not the console's.
        if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
    });

    after(async () => {
      await browser?.close();
      await issuer?.stop();
      tmp.remove();
    });

    test('the administrator signs in with the login page', async () => {
      await page.goto(`${url}/console`);
      assert.equal(new URL(page.url()).pathname, '/console/login');
      assert.equal(await page.locator('h1').textContent(), 'Sign in');
      await shot('login');
      await page.getByLabel('Username').fill(ADMIN.username);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${url}/console`);
      assert.equal(await page.locator('h1').textContent(), 'Activity');
      assert.equal(await page.locator('svg.chart[role="img"]').count(), 1);
      // The stylesheet applied under the CSP: the header is a flex row.
      assert.equal(await page.evaluate("getComputedStyle(document.querySelector('header')).display"), 'flex');
      await shot('activity');
    });

    let token = '';

    test('creates a client; its credentials work at the token endpoint', async () => {
      await page.getByRole('link', { name: 'Clients', exact: true }).click();
      await page.waitForURL(`${url}/console/clients`);
      await page.getByRole('link', { name: 'New client' }).click();
      await page.getByLabel('Client id').fill('browser-app');
      await page.getByLabel('Display name').fill('Browser App');
      await page.getByLabel('Scopes').fill('reports:read');
      await page.getByLabel('Audiences').fill(AUDIENCE);
      await shot('client-new');
      await page.getByRole('button', { name: 'Create client' }).click();
      await page.waitForURL(`${url}/console/clients`);
      assert.equal(await page.locator('h1').textContent(), 'Client browser-app created');
      const secret = await page.getByLabel('Client secret').inputValue();
      const clientId = await page.locator('#client-id').textContent();
      assert.equal(clientId, 'browser-app');
      await shot('client-created');
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(clientId, secret),
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'reports:read',
          resource: AUDIENCE,
        }),
      });
      assert.equal(res.status, 200);
      token = ((await res.json()) as { access_token: string }).access_token;
      assert.equal(token.split('.').length, 3);
      await page.getByRole('link', { name: 'Clients', exact: true }).click();
      await page.getByRole('link', { name: 'browser-app' }).click();
      await shot('client-detail');
    });

    test('the token debugger explains a token for another audience', async () => {
      await page.getByRole('link', { name: 'Token debugger' }).click();
      await shot('debugger');
      await page.getByLabel('Access token').fill(token);
      await page.getByLabel('Expected audience (optional)').fill('https://wrong-audience.example');
      await page.getByRole('button', { name: 'Explain' }).click();
      await page.waitForSelector('#verdict');
      assert.match((await page.locator('#verdict').textContent()) ?? '', /Invalid: ERR_AUDIENCE_MISMATCH/);
      assert.equal(await page.locator('[data-step="signature"]').textContent(), 'passed');
      assert.equal(await page.locator('[data-step="claims"]').textContent(), 'failed');
      const row = page.locator('tr', { has: page.locator('[data-step="claims"]') });
      assert.match((await row.textContent()) ?? '', /ERR_AUDIENCE_MISMATCH/);
      // The token is not in the URL.
      assert.equal(new URL(page.url()).search, '');
      await shot('debugger-result');
    });

    test('the other pages render; sign out ends the session', async () => {
      for (const [name, heading] of [
        ['Users', 'Users'],
        ['Signing keys', 'Signing keys'],
        ['Revoked tokens', 'Revoked tokens'],
        ['Activity', 'Activity'],
      ] as const) {
        await page.getByRole('link', { name, exact: true }).click();
        assert.equal(await page.locator('h1').textContent(), heading);
        await shot(name.toLowerCase().replace(/ /g, '-'));
      }
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${url}/console/login`);
      await page.goto(`${url}/console/keys`);
      assert.equal(new URL(page.url()).pathname, '/console/login');
      assert.deepEqual(problems, [], 'no console errors (CSP violations, script errors)');
    });
  });
}
