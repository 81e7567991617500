// The issuer's /readyz: 200 while its store answers and a signing key is loaded, 503 (never a 500)
// when the store does not answer; /healthz (liveness) stays 200 either way. The PostgreSQL outage
// case runs in store-outage.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestIssuer, type TestIssuer } from './helpers.ts';

describe('issuer /readyz', () => {
  let t: TestIssuer;
  before(async () => {
    t = await startTestIssuer();
  });
  after(() => t.close().catch(() => {}));

  test('ready: the store answers and a signing key is published', async () => {
    const res = await fetch(`${t.url}/readyz`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { status: 'ready', store: 'up', keys: 1 });
  });

  test('not ready once the store stops answering; still alive', async () => {
    await t.store.close();
    const res = await fetch(`${t.url}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'not ready', store: 'down', keys: 1 });
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
  });
});
