import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type AdminContext, createAdminServer } from '../../src/gateway/admin-server.ts';
import { GatewayError } from '../../src/gateway/errors.ts';

describe('createAdminServer: one listener for a process or a primary of workers', () => {
  const revoked: { jti: string; exp: number }[] = [];
  let ready = false;
  let metricsFail = false;
  let publishFails = false;
  const ctx: AdminContext = {
    readiness: async () => ({ ready, body: { workers: ready ? 2 : 1, expected: 2 } }),
    async metrics() {
      if (metricsFail) throw new GatewayError('ERR_METRICS_UNAVAILABLE');
      return { contentType: 'text/plain; version=0.0.4', body: 'jwtgate_up 1\n' };
    },
    revoked: () => revoked,
    async revoke(jti, exp) {
      revoked.push({ jti, exp });
      if (publishFails) throw new GatewayError('ERR_REDIS_UNAVAILABLE', { detail: 'here only' });
    },
  };
  const server = createAdminServer(ctx);
  let base = '';
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const post = (body: string) =>
    fetch(`${base}/revocations`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

  test('/healthz answers while the process runs; /readyz follows the context', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { status: 'not ready', workers: 1, expected: 2 });
    ready = true;
    const r = await fetch(`${base}/readyz`);
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { status: string }).status, 'ready');
  });

  test('/metrics is the context text, or 503 ERR_METRICS_UNAVAILABLE', async () => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4');
    assert.equal(await r.text(), 'jwtgate_up 1\n');
    metricsFail = true;
    const failed = await fetch(`${base}/metrics`);
    assert.equal(failed.status, 503);
    assert.equal(((await failed.json()) as { error: string }).error, 'ERR_METRICS_UNAVAILABLE');
    metricsFail = false;
  });

  test('POST /revocations: 204, then listed; a bad body is 400, a large one 413', async () => {
    assert.equal((await post('{"jti":"j1","exp":1900000000}')).status, 204);
    assert.deepEqual(((await (await fetch(`${base}/revocations`)).json()) as { revoked: unknown }).revoked, [
      { jti: 'j1', exp: 1900000000 },
    ]);
    for (const bad of ['not json', '{"jti":"","exp":1}', '{"jti":"x","exp":"soon"}', '[]']) {
      const r = await post(bad);
      assert.equal(r.status, 400, bad);
      assert.equal(((await r.json()) as { error: string }).error, 'ERR_INVALID_REQUEST');
    }
    const large = await post(`{"jti":"${'x'.repeat(20_000)}","exp":1}`);
    assert.equal(large.status, 413);
  });

  test('a revocation not passed on to the other replicas is 503 ERR_REDIS_UNAVAILABLE, enforced here', async () => {
    publishFails = true;
    const r = await post('{"jti":"j2","exp":1900000000}');
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { error: 'ERR_REDIS_UNAVAILABLE', message: 'here only' });
    assert.ok(revoked.some((x) => x.jti === 'j2'));
    publishFails = false;
  });

  test('anything else is 404', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });
});
