// CORS at the gateway in Debian's Chromium (playwright-core): a page on one origin calls a real
// `jwtgate gateway` process on another with a token, as a Bearer header (preflighted, without
// credentials) and as a cookie (credentialed, no preflight for a plain GET). The gateway answers
// the preflights itself (the upstream never sees them; the access log says CORS_PREFLIGHT) and
// its own 401 is readable by the page. A page on an origin the gateway does not allow is blocked
// by the browser, preflighted or not; so is a credentialed call to a route without credentials.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { secretBytes, signToken } from '../../../verify/test/helpers/keys.ts';
import { haveChromium, launchChromium } from './chromium.ts';
import {
  freePort,
  type GatewayProcess,
  SECRET,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

async function servePage(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!DOCTYPE html><title>page</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** What a page's fetch came to: `<status> <body>` when the page may read it, else `blocked`. */
async function call(page: Page, url: string, init: RequestInit): Promise<string> {
  return page.evaluate(
    async ([u, i]) => {
      try {
        const res = await fetch(u as string, i as RequestInit);
        return `${res.status} ${await res.text()}`;
      } catch (err) {
        return `blocked ${(err as Error).name}`;
      }
    },
    [url, init] as const,
  );
}

if (haveChromium('gateway CORS in a browser')) {
  describe('CORS at the gateway (Chromium)', { timeout: 120_000 }, () => {
    const tmp = tempDir();
    let gateway: GatewayProcess | undefined;
    let upstream: Upstream | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext;
    const servers: Server[] = [];
    let app: Page;
    let stranger: Page;
    let base = '';
    let token = '';

    before(async () => {
      const appPage = await servePage();
      const strangerPage = await servePage();
      servers.push(appPage.server, strangerPage.server);
      upstream = await startUpstream('api');
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const file = tmp.write(
        'gateway.yaml',
        `gateway:
  listen: 127.0.0.1:${port}
  providers:
    corp:
      issuer: https://issuer.example
      secret: \${SECRET_KEY}
      algorithms: [HS256]
      audiences: [api]
      token_from: [{ bearer: true }, { cookie: at }]
  cors:
    allow_origins: [${appPage.origin}]
    expose_headers: [X-Request-Id]
    max_age: 0
  routes:
    - name: api
      match: { path: /api/** }
      requires: { provider: corp }
      upstream: ${upstream.origin}
    - name: session
      match: { path: /session/**, methods: [GET] }
      requires: { provider: corp }
      upstream: ${upstream.origin}
      cors: { allow_origins: [${appPage.origin}], allow_credentials: true }
`,
      );
      gateway = await startGateway(file);
      const now = Math.floor(Date.now() / 1000);
      token = await signToken(secretBytes(SECRET), {
        alg: 'HS256',
        iss: 'https://issuer.example',
        aud: 'api',
        exp: now + 300,
        claims: { iat: now, sub: 'alice' },
      });

      browser = await launchChromium();
      context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      // The session cookie of the gateway's host (cookies ignore the port: same site, other origin).
      await context.addCookies([
        { name: 'at', value: token, domain: '127.0.0.1', path: '/', sameSite: 'Lax' },
      ]);
      app = await context.newPage();
      await app.goto(appPage.origin);
      stranger = await context.newPage();
      await stranger.goto(strangerPage.origin);
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await gateway?.stop();
      await upstream?.close();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      tmp.cleanup();
    });

    test('a Bearer token from the allowed origin: preflight answered by the gateway, then the call', async () => {
      const seen = upstream?.seen.length ?? 0;
      const out = await call(app, `${base}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"n":1}',
      });
      assert.match(out, /^200 /, out);
      const echo = JSON.parse(out.slice(4)) as { method: string; body: string };
      assert.equal(echo.method, 'POST');
      assert.equal(echo.body, '{"n":1}');
      assert.deepEqual(
        upstream?.seen.slice(seen).map((r) => r.method),
        ['POST'],
        'the upstream never saw the preflight',
      );
      await gateway?.waitFor(/"reason":"CORS_PREFLIGHT"/);
      const preflight = gateway?.logs().find((l) => l.reason === 'CORS_PREFLIGHT');
      assert.equal(preflight?.status, 204);
      assert.equal(preflight?.route, 'api');
    });

    test("the gateway's own 401 is readable by the allowed page; X-Request-Id is exposed", async () => {
      const out = await app.evaluate(async (u) => {
        const res = await fetch(u, { headers: { authorization: 'Bearer not-a-token' } });
        return { status: res.status, id: res.headers.get('x-request-id'), body: await res.json() };
      }, `${base}/api/orders`);
      assert.equal(out.status, 401);
      assert.equal((out.body as { error: string }).error, 'ERR_TOKEN_MALFORMED');
      assert.ok(out.id, 'X-Request-Id exposed to the page');
    });

    test('a credentialed call (the token in a cookie) on the route with allow_credentials', async () => {
      const out = await call(app, `${base}/session/me`, { credentials: 'include' });
      assert.match(out, /^200 /, out);
      const echo = JSON.parse(out.slice(4)) as { headers: Record<string, string> };
      assert.equal(echo.headers.cookie, undefined, 'the token cookie is not forwarded');
    });

    test('a credentialed call to a route without allow_credentials is blocked by the browser', async () => {
      assert.equal(await call(app, `${base}/api/orders`, { credentials: 'include' }), 'blocked TypeError');
    });

    test('another origin is blocked by the browser, with or without a preflight', async () => {
      const seen = upstream?.seen.length ?? 0;
      const preflighted = await call(stranger, `${base}/api/orders`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(preflighted, 'blocked TypeError');
      assert.equal(upstream?.seen.length, seen, 'refused at the preflight: nothing reached the upstream');
      await gateway?.waitFor(/"reason":"ERR_CORS_ORIGIN_NOT_ALLOWED"/);
      // A simple request is sent (no preflight) but its answer withheld: no CORS headers for this origin.
      const simple = await call(stranger, `${base}/session/me`, { credentials: 'include' });
      assert.equal(simple, 'blocked TypeError');
    });
  });
}
