// The issuer with its PostgreSQL store out of reach: an in-process issuer reaches the server
// through a TCP forwarder (tcp-forwarder.ts), which can drop every connection (as a network failure
// or a server restart would) or refuse new ones (nothing listens). Meanwhile the token endpoint answers
// 503 temporarily_unavailable with Retry-After and /revocations 503 ERR_STORE_UNAVAILABLE, never a
// 500 or a stack trace; once the store is reachable again the same issuer issues tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createIssuer, type Issuer } from '../../src/issuer/create-issuer.ts';
import { resolveIssuerOptions } from '../../src/issuer/issuer-options.ts';
import { openStore } from '../../src/issuer/open-store.ts';
import type { Store } from '../../src/store/types.ts';
import { basic, freePort, registerClient, sleep } from './helpers.ts';
import {
  createScratch,
  PG_HOST,
  PG_PORT,
  type PostgresScratch,
  probePostgres,
  skipWithout,
} from './postgres-helpers.ts';
import { type Forwarder, startForwarder } from './tcp-forwarder.ts';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** No stack trace, file path or driver message in what a client sees. */
function assertNoInternals(a: Answer): void {
  assert.doesNotMatch(a.text, /\n\s+at |\.ts:\d+|node_modules|ECONNREFUSED|Connection terminated/i, a.text);
}

const problem = await probePostgres();

if (problem !== null) skipWithout('issuer store outage', [`PostgreSQL not reachable (${problem})`]);
else
  describe('issuer with its PostgreSQL store out of reach', { timeout: 120_000 }, () => {
    let pg: PostgresScratch;
    let forwarder: Forwarder;
    let store: Store;
    let issuer: Issuer;
    let url = '';
    let secret = '';
    /** The issuer's log lines (warn and above). */
    const logged: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });

    const post = (path: string, body: string) =>
      call(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic('outage-client', secret),
        },
        body,
      });
    const tokenRequest = () => post('/token', 'grant_type=client_credentials');

    before(async () => {
      pg = await createScratch('outage');
      forwarder = await startForwarder({ host: PG_HOST, port: PG_PORT });
      store = await openStore(pg.storeUrl('127.0.0.1', forwarder.port));
      secret = (await registerClient(store, { id: 'outage-client', scopes: ['read'] })) as string;
      const port = await freePort();
      const options = resolveIssuerOptions({ port, storeFile: 'postgres://unused', keyPollMs: 200 });
      issuer = createIssuer(options, { store, log, kek: null });
      await issuer.start();
      url = options.issuerUrl;
    });

    after(async () => {
      await issuer?.close();
      await store?.close();
      await forwarder?.close();
      await pg?.drop();
    });

    /** Polls until the issuer issues a token again (it was not restarted). */
    async function issuesAgain(): Promise<number> {
      const started = Date.now();
      for (;;) {
        const a = await tokenRequest();
        if (a.status === 200) {
          assert.ok(JSON.parse(a.text).access_token);
          return Date.now() - started;
        }
        assert.equal(a.status, 503, `while recovering: ${a.status} ${a.text}`);
        if (Date.now() - started > 15_000)
          throw new Error(`no token 15 s after the store came back: ${a.text}`);
        await sleep(100);
      }
    }

    for (const how of ['drop', 'refuse'] as const) {
      test(`connections ${how === 'drop' ? 'dropped' : 'refused'}: 503 with Retry-After, then tokens again without a restart`, async () => {
        const before = await tokenRequest();
        assert.equal(before.status, 200, 'a token while the store is reachable');
        const issued = JSON.parse(before.text).access_token as string;
        await forwarder.down(how);
        try {
          // Twice: the first request may find a pooled connection just cut, the second opens one.
          for (let n = 0; n < 2; n++) {
            const token = await tokenRequest();
            assert.equal(token.status, 503, `token request: ${token.status} ${token.text}`);
            assert.equal(token.headers.get('retry-after'), '1');
            assert.equal(token.headers.get('cache-control'), 'no-store');
            assert.equal(JSON.parse(token.text).error, 'temporarily_unavailable');
            assertNoInternals(token);

            // RFC 7009 revocation and RFC 7662 introspection need the store too: nothing decided.
            for (const path of ['/token/revocation', '/token/introspection']) {
              const a = await post(path, `token=${issued}`);
              assert.equal(a.status, 503, `${path}: ${a.status} ${a.text}`);
              assert.equal(a.headers.get('retry-after'), '1');
              assert.equal(JSON.parse(a.text).error, 'temporarily_unavailable');
              assertNoInternals(a);
            }

            const ready = await call(`${url}/readyz`);
            assert.equal(ready.status, 503, `/readyz: ${ready.status} ${ready.text}`);
            assert.equal(JSON.parse(ready.text).store, 'down');
            assert.equal((await call(`${url}/healthz`)).status, 200, 'alive while not ready');

            const feed = await call(`${url}/revocations?since=0`);
            assert.equal(feed.status, 503, `/revocations: ${feed.status} ${feed.text}`);
            assert.ok(Number(feed.headers.get('retry-after')) >= 1);
            assert.equal(JSON.parse(feed.text).error, 'ERR_STORE_UNAVAILABLE');
            assertNoInternals(feed);
          }
        } finally {
          await forwarder.up();
        }
        const ms = await issuesAgain();
        console.log(`store ${how}: tokens issued again ${ms} ms after the store came back`);
        const feed = await call(`${url}/revocations?since=0`);
        assert.equal(feed.status, 200, feed.text);
        assert.equal((await call(`${url}/readyz`)).status, 200, 'ready again');
        // The token issued before the outage is still good (introspection reads the store again).
        const check = await post('/token/introspection', `token=${issued}`);
        assert.equal(check.status, 200, check.text);
        assert.equal(JSON.parse(check.text).active, true);
        // No request took the 500 path ("request failed" in create-issuer.ts).
        assert.deepEqual(
          logged.filter((l) => l.includes('"msg":"request failed"')),
          [],
        );
      });
    }
  });
