// examples/spa/README.md as written, in Debian's Chromium: its `<!-- spa-example -->` block runs
// in bash from the repository root (a public client and a user registered, the issuer, the
// gateway and the SPA started), with only the ports, the data folder and the gateway's file
// substituted. Then the user's part in the browser: sign in with code + PKCE and no secret, call
// the API through the gateway cross-origin (its CORS preflight answered by the gateway), refresh,
// and call again with the new token.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, sleep } from '../issuer/helpers.ts';
import { haveChromium, launchChromium } from './chromium.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'examples/spa/README.md'), 'utf8');

async function up(url: string, what: string, log: string): Promise<void> {
  // Generous: the block runs four npm commands first, each starting Node.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not start:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    await sleep(100);
  }
}

if (haveChromium('examples/spa in a browser')) {
  describe('examples/spa/README.md, run as written, in Chromium', { timeout: 240_000 }, () => {
    const data = mkdtempSync(join(tmpdir(), 'jwtgate-spa-example-'));
    let bash: ChildProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;
    const ports = { issuer: 0, gateway: 0, spa: 0 };

    before(async () => {
      ports.issuer = await freePort();
      ports.gateway = await freePort();
      ports.spa = await freePort();
      const swap = (text: string) =>
        text
          .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.issuer}`)
          .replaceAll('--port 8080', `--port ${ports.issuer}`)
          .replaceAll('127.0.0.1:9001', `127.0.0.1:${ports.gateway}`)
          .replaceAll('127.0.0.1:5173', `127.0.0.1:${ports.spa}`)
          .replaceAll('PORT=5173', `PORT=${ports.spa}`);
      const gatewayFile = join(data, 'gateway.yaml');
      writeFileSync(gatewayFile, swap(readFileSync(join(ROOT, 'examples/spa/gateway.yaml'), 'utf8')));
      const block = /<!-- spa-example -->\n```sh\n([\s\S]*?)```/.exec(README)?.[1];
      assert.ok(block, 'the README has its spa-example block');
      const script = swap(block)
        .replaceAll('.data/spa', data)
        .replaceAll('examples/spa/gateway.yaml', gatewayFile);
      // One bash for the block and its background jobs, kept open (as a terminal) until the end.
      bash = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, stdio: ['pipe', 'ignore', 'inherit'] });
      bash.stdin?.write(`set -e\n${script}\n`);
      await up(`http://127.0.0.1:${ports.issuer}/healthz`, 'the issuer', join(data, 'issuer.log'));
      await up(`http://127.0.0.1:${ports.gateway}/api/hello`, 'the gateway', join(data, 'gateway.log'));
      await up(`http://127.0.0.1:${ports.spa}/`, 'the SPA', join(data, 'spa.log'));

      browser = await launchChromium();
      const context = await browser.newContext();
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      if (bash !== undefined) {
        bash.stdin?.end('kill %1 %2 %3 2>/dev/null; wait\n');
        await new Promise((r) => bash?.once('exit', r));
      }
      rmSync(data, { recursive: true, force: true });
    });

    const status = () => page.locator('#status').textContent();
    // Locators, not waitForFunction: the page's CSP allows no eval.
    const statusIs = (text: string | RegExp) =>
      page
        .locator('#status', { hasText: typeof text === 'string' ? new RegExp(`^${text}$`) : text })
        .waitFor();
    const out = async () =>
      JSON.parse((await page.locator('#out').textContent()) ?? '{}') as Record<string, unknown>;

    test('signs in with code + PKCE, no secret, and calls the API through the gateway', async () => {
      const spa = `http://127.0.0.1:${ports.spa}`;
      await page.goto(spa);
      assert.equal(await status(), 'signed out');
      await page.click('#sign-in');
      await page.waitForURL(`http://127.0.0.1:${ports.issuer}/interaction/**`);
      await page.fill('#username', 'alice');
      await page.fill('#password', 'alice spa example password');
      await page.click('button[value="login"]');
      await page.waitForURL(`${spa}/**`);
      await statusIs('signed in');
      await page.click('#call');
      await statusIs(/^(called|refused)/);
      assert.equal(await status(), 'called', JSON.stringify(await out()));
      const answer = await out();
      assert.match(String(answer.hello), /^usr_/);
      assert.equal(answer.roles, 'reader');
      assert.equal(answer.path, '/backend/hello');
      // Access lines are written in batches (at least every 250 ms): wait for this one.
      let log = '';
      for (let i = 0; i < 50 && !/"reason":"CORS_PREFLIGHT"/.test(log); i++) {
        await sleep(100);
        log = readFileSync(join(data, 'gateway.log'), 'utf8');
      }
      assert.match(log, /"reason":"CORS_PREFLIGHT"/, 'the browser asked first; the gateway answered');
    });

    test('refreshes (a public client, no secret) and calls again with the new token', async () => {
      await page.click('#refresh');
      await statusIs(/^refresh/);
      assert.equal(await status(), 'refreshed');
      await page.click('#call');
      await statusIs(/^(called|refused)/);
      assert.equal(await status(), 'called');
    });
  });
}
