// The device flow end to end, every part a real process: `jwtgate issuer` on a temporary SQLite
// store, and the command-line example of examples/cli-device (openid-client) polling while
// Debian's Chromium, driven by playwright-core, has the user enter the code, confirm and sign in.
// The example then prints the access token. A second run is denied in the browser: the example
// is told access_denied and stops. Screenshots go to artifacts/screenshots/.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { addClient } from '../../src/issuer/admin/manage-clients.ts';
import { addUser } from '../../src/issuer/admin/manage-users.ts';
import {
  decodePart,
  freePort,
  type IssuerProcess,
  openTempStore,
  startIssuerProcess,
  tempDir,
} from '../issuer/helpers.ts';
import { clickAndLoad, haveChromium, launchChromium, screenshot as shot } from './chromium.ts';

const EXAMPLE = new URL('../../../../examples/cli-device/login.ts', import.meta.url).pathname;
const API = 'https://api.device.example';
const ALICE = { username: 'alice', password: 'alice device test password' };

interface ExampleRun {
  /** The user code and the verification URI, once the example has printed them. */
  readonly prompt: Promise<{ userCode: string; uri: string }>;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): void;
}

function runExample(env: Record<string, string>): ExampleRun {
  const child: ChildProcess = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let seen: (value: { userCode: string; uri: string }) => void = () => {};
  const prompt = new Promise<{ userCode: string; uri: string }>((resolve) => {
    seen = resolve;
  });
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
    const m = /open (\S+) in a browser and enter the code (\S+)/.exec(stderr);
    if (m) seen({ uri: m[1] as string, userCode: m[2] as string });
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  void done.then(() => clearTimeout(timer));
  return { prompt, done, stop: () => child.kill('SIGKILL') };
}

if (haveChromium('device flow in a browser')) {
  describe('device flow: the CLI example polls while the user approves in Chromium', {
    timeout: 180_000,
  }, () => {
    const tmp = tempDir('jwtgate-device-e2e-');
    const storeFile = join(tmp.dir, 'issuer.db');
    let issuer: IssuerProcess | undefined;
    let browser: Browser | undefined;
    let issuerUrl = '';
    let aliceId = '';
    const runs: ExampleRun[] = [];

    before(async () => {
      const store = await openTempStore(storeFile);
      await addClient(
        store,
        {
          id: 'cli-device',
          name: 'Device CLI',
          authMethod: 'none',
          applicationType: 'native',
          grantTypes: ['device_code', 'refresh_token'],
          audiences: [API],
        },
        'test',
      );
      aliceId = (
        await addUser(
          store,
          { username: ALICE.username, password: ALICE.password, roles: { 'cli-device': ['ops'] } },
          'test',
        )
      ).user.id;
      await store.close();
      const port = await freePort();
      issuerUrl = `http://127.0.0.1:${port}`;
      issuer = startIssuerProcess(['--port', String(port), '--store', storeFile]);
      await issuer.ready;
      browser = await launchChromium();
    });

    after(async () => {
      for (const run of runs) run.stop();
      await browser?.close().catch(() => {});
      await issuer?.stop();
      tmp.remove();
    });

    test('a wrong code first, then the right one; confirm, sign in: the example prints the token', async () => {
      const run = runExample({ ISSUER_URL: issuerUrl, CLIENT_ID: 'cli-device', RESOURCE: API });
      runs.push(run);
      const { userCode, uri } = await run.prompt;
      assert.equal(uri, `${issuerUrl}/device`);
      const context = await (browser as Browser).newContext();
      const page = await context.newPage();
      await page.goto(uri);
      assert.equal(await page.locator('h1').textContent(), 'Connect a device');
      await page.fill('#user_code', 'BCDF-GHJK');
      await clickAndLoad(page, 'button[type="submit"]');
      assert.match((await page.locator('[role="alert"]').textContent()) ?? '', /That code is not valid/);
      await shot(page, 'device-wrong-code');

      await page.fill('#user_code', userCode.toLowerCase());
      await clickAndLoad(page, 'button[type="submit"]');
      assert.equal(await page.locator('h1').textContent(), 'Confirm the device');
      assert.equal(await page.locator('#user-code').textContent(), userCode);
      assert.match((await page.locator('main').textContent()) ?? '', /Device CLI/);
      await shot(page, 'device-confirm');
      await clickAndLoad(page, 'button:has-text("Continue")');

      assert.ok(page.url().startsWith(`${issuerUrl}/interaction/`), page.url());
      await page.fill('#username', ALICE.username);
      await page.fill('#password', ALICE.password);
      await clickAndLoad(page, 'button[value="login"]');
      assert.equal(await page.locator('h1').textContent(), 'Device connected');
      await shot(page, 'device-connected');
      await context.close();

      const out = await run.done;
      assert.equal(out.code, 0, out.stderr);
      const token = out.stdout.trim();
      const claims = decodePart(token, 1);
      assert.equal(claims.sub, aliceId);
      assert.equal(claims.client_id, 'cli-device');
      assert.equal(claims.aud, API);
      assert.deepEqual(claims.roles, ['ops']);
      assert.match(out.stderr, new RegExp(`Signed in as ${aliceId}`));
      assert.doesNotMatch(out.stderr, /slow_down/);
    });

    test('cancelled in the browser: the example is told access_denied and stops', async () => {
      const run = runExample({ ISSUER_URL: issuerUrl, CLIENT_ID: 'cli-device', RESOURCE: API });
      runs.push(run);
      const { userCode, uri } = await run.prompt;
      const context = await (browser as Browser).newContext();
      const page = await context.newPage();
      // The complete URI carries the code: the page posts it on by itself.
      await page.goto(`${uri}?user_code=${encodeURIComponent(userCode)}`);
      await page.waitForSelector('#user-code');
      await clickAndLoad(page, 'button:has-text("Cancel")');
      assert.equal(await page.locator('h1').textContent(), 'Sign-in cancelled');
      await context.close();
      const out = await run.done;
      assert.equal(out.code, 1);
      assert.equal(out.stdout, '');
      assert.match(out.stderr, /Not signed in: the sign-in was refused in the browser/);
    });
  });
}
