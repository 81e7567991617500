// A public browser client in Debian's Chromium (playwright-core): a tiny single-page app served
// by this test on its own port signs the user in at a real `jwtgate issuer` process with the
// authorization code flow and PKCE (S256, WebCrypto in the page), and no secret; it calls the
// token endpoint cross-origin (CORS for its registered origin), refreshes, and a replayed refresh
// token ends the grant. The same page served from an origin nobody registered gets no CORS
// answer from the token endpoint: the browser keeps the answer from it. Screenshots go to
// artifacts/screenshots/.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
import { haveChromium, launchChromium, screenshot } from './chromium.ts';

const API = 'https://api.spa.example';
const ALICE = { username: 'alice', password: 'alice spa test password' };

/** The single-page app: the whole OAuth client, in the page, for the issuer at `issuer`. */
function spaPage(issuer: string, clientId: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SPA</title></head>
<body><h1>SPA</h1><p id="status">starting</p><pre id="log"></pre>
<script>
const ISSUER = ${JSON.stringify(issuer)};
const CLIENT_ID = ${JSON.stringify(clientId)};
const REDIRECT_URI = location.origin + '/callback';
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const show = (status, detail) => { document.getElementById('status').textContent = status; if (detail) document.getElementById('log').textContent += detail + '\\n'; };
async function token(params) {
  // The token endpoint, cross-origin: client_id only, no secret (a public client).
  const res = await fetch(ISSUER + '/token', { method: 'POST', body: new URLSearchParams({ client_id: CLIENT_ID, ...params }) });
  return { status: res.status, body: await res.json() };
}
window.spa = {
  tokens: [],
  async signIn() {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }));
    location.assign(ISSUER + '/authorize?' + new URLSearchParams({
      client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid offline_access',
      code_challenge: challenge, code_challenge_method: 'S256', state, resource: ${JSON.stringify(API)},
    }));
  },
  async callback() {
    const q = new URLSearchParams(location.search);
    const { verifier, state } = JSON.parse(sessionStorage.getItem('pkce') || '{}');
    if (q.get('state') !== state) return show('state mismatch');
    const r = await token({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: REDIRECT_URI, code_verifier: verifier });
    if (r.status !== 200) return show('sign-in failed', JSON.stringify(r.body));
    this.tokens.push(r.body);
    show('signed in');
  },
  async refresh(refreshToken) {
    const r = await token({ grant_type: 'refresh_token', refresh_token: refreshToken ?? this.tokens.at(-1).refresh_token });
    if (r.status === 200) this.tokens.push(r.body);
    show(r.status === 200 ? 'refreshed' : 'refresh refused: ' + r.body.error, JSON.stringify({ status: r.status, error: r.body.error }));
    return r;
  },
};
if (location.pathname === '/callback') window.spa.callback();
else show('signed out');
</script></body></html>`;
}

/** What the page's script puts on its global object, as the test's evaluate calls see it. */
interface PageGlobals {
  readonly spa: {
    readonly tokens: Record<string, string>[];
    signIn(): Promise<void>;
    refresh(refreshToken?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  };
}

async function serve(html: () => string): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

if (haveChromium('public client in a browser')) {
  describe('a public browser client: code + PKCE, no secret, CORS (Chromium)', { timeout: 120_000 }, () => {
    const tmp = tempDir('jwtgate-spa-e2e-');
    let issuer: IssuerProcess | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext;
    let page: Page;
    let issuerUrl = '';
    let aliceId = '';
    const servers: Server[] = [];
    let appOrigin = '';
    let strangerOrigin = '';

    before(async () => {
      const port = await freePort();
      issuerUrl = `http://127.0.0.1:${port}`;
      const app = await serve(() => spaPage(issuerUrl, 'spa'));
      const stranger = await serve(() => spaPage(issuerUrl, 'spa'));
      servers.push(app.server, stranger.server);
      appOrigin = app.origin;
      strangerOrigin = stranger.origin;

      const storeFile = join(tmp.dir, 'issuer.db');
      const store = await openTempStore(storeFile);
      const created = await addClient(
        store,
        {
          id: 'spa',
          name: 'Single-page app',
          authMethod: 'none',
          grantTypes: ['authorization_code', 'refresh_token'],
          redirectUris: [`${appOrigin}/callback`],
          webOrigins: [appOrigin],
          audiences: [API],
        },
        'test',
      );
      assert.equal(created.secret, null);
      aliceId = (await addUser(store, { ...ALICE, roles: { spa: ['reader'] } }, 'test')).user.id;
      await store.close();
      issuer = startIssuerProcess(['--port', String(port), '--store', storeFile]);
      await issuer.ready;

      browser = await launchChromium();
      context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await issuer?.stop();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      tmp.remove();
    });

    const status = (p: Page) => p.locator('#status').textContent();
    const tokens = (p: Page) => p.evaluate(() => (globalThis as unknown as PageGlobals).spa.tokens);
    const refresh = (p: Page, refreshToken?: string) =>
      p.evaluate((rt) => (globalThis as unknown as PageGlobals).spa.refresh(rt), refreshToken);

    test('signs in with code + PKCE and no secret, calling the token endpoint cross-origin', async () => {
      await page.goto(appOrigin);
      assert.equal(await status(page), 'signed out');
      const toLogin = page.waitForURL(`${issuerUrl}/interaction/**`);
      await page.evaluate(() => (globalThis as unknown as PageGlobals).spa.signIn());
      await toLogin;
      assert.match((await page.locator('main').textContent()) ?? '', /to continue to Single-page app/);
      await page.fill('#username', ALICE.username);
      await page.fill('#password', ALICE.password);
      const back = page.waitForURL(`${appOrigin}/callback**`);
      await page.click('button[value="login"]');
      await back;
      await page.waitForFunction("document.getElementById('status').textContent !== 'starting'");
      assert.equal(await status(page), 'signed in', (await page.locator('#log').textContent()) ?? '');
      await screenshot(page, 'spa-signed-in');
      const [first] = await tokens(page);
      const claims = decodePart(first?.access_token as string, 1);
      assert.equal(claims.sub, aliceId);
      assert.equal(claims.client_id, 'spa');
      assert.equal(claims.aud, API);
      assert.deepEqual(claims.roles, ['reader']);
      assert.ok(first?.refresh_token);
    });

    test('refreshes (rotation); a replayed refresh token ends the grant', async () => {
      const before = await tokens(page);
      const spent = before.at(-1)?.refresh_token as string;
      const refreshed = await refresh(page);
      assert.equal(refreshed.status, 200);
      const now = await tokens(page);
      const newest = now.at(-1)?.refresh_token as string;
      assert.notEqual(newest, spent, 'rotated');

      // The answers of refused requests are readable too: the page's origin is registered.
      const replay = await refresh(page, spent);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      const ended = await refresh(page, newest);
      assert.equal(ended.status, 400);
      assert.equal(ended.body.error, 'invalid_grant', 'the newest refresh token went with the grant');
      await screenshot(page, 'spa-replay-ended-grant');
    });

    test('from an origin nobody registered, the token endpoint gives no CORS answer', async () => {
      const other = await context.newPage();
      await other.goto(strangerOrigin);
      const outcome = await other.evaluate(async (issuer) => {
        const attempt = async (init: RequestInit) => {
          try {
            const res = await fetch(`${issuer}/token`, { method: 'POST', ...init });
            return `answered ${res.status}`;
          } catch (err) {
            return `blocked: ${(err as Error).name}`;
          }
        };
        return {
          // A form post is a simple request (no preflight): it is sent, its answer withheld.
          simple: await attempt({
            body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'spa', refresh_token: 'x' }),
          }),
          // With an Authorization header the browser asks first: the preflight is refused.
          preflighted: await attempt({
            headers: { authorization: 'Basic c3BhOg==', 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials',
          }),
        };
      }, issuerUrl);
      assert.deepEqual(outcome, { simple: 'blocked: TypeError', preflighted: 'blocked: TypeError' });
      // The same requests from the registered origin are answered.
      const mine = await page.evaluate(async (issuer) => {
        const res = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: { authorization: 'Basic c3BhOg==', 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        return res.status;
      }, issuerUrl);
      assert.ok(
        mine >= 400 && mine < 500,
        `answered (and refused: a public client has no credentials): ${mine}`,
      );
      await other.close();
    });
  });
}
