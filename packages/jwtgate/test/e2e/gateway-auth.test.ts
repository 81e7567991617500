// End to end: `jwtgate gateway` with examples/gateway/jwtgate.yaml as written (ports swapped),
// a local JWKS server and two echo upstreams, all real processes on real ports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CorpKeys,
  corpToken,
  type EchoRequest,
  exampleConfig,
  freePort,
  type GatewayProcess,
  makeCorpKeys,
  nowSeconds,
  type Running,
  send,
  startGateway,
  startJwks,
  startUpstream,
  tempDir,
  tutorialToken,
  waitForStatus,
} from './harness.ts';

type ErrorBody = { error: string; message: string; request_id: string };

describe('jwtgate gateway: the example config', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  const tokens: string[] = [];
  let keys: CorpKeys;
  let jwks: Running;
  let up1: Running & { seen: EchoRequest[] };
  let up2: Running & { seen: EchoRequest[] };
  let gw: GatewayProcess;
  let base: string;
  let admin: string;

  const corp = async (...args: Parameters<typeof corpToken>) => {
    const t = await corpToken(...args);
    tokens.push(t);
    return t;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    keys = await makeCorpKeys();
    [jwks, up1, up2] = await Promise.all([startJwks(keys), startUpstream('up1'), startUpstream('up2')]);
    const [gatewayPort, adminPort] = [await freePort(), await freePort()];
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig({
        gateway: gatewayPort,
        admin: adminPort,
        upstream1: up1.port,
        upstream2: up2.port,
        jwks: jwks.port,
      }),
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${gatewayPort}`;
    admin = `http://127.0.0.1:${adminPort}`;
    await waitForStatus(`${admin}/readyz`, 200);
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([jwks?.close(), up1?.close(), up2?.close()]);
    tmp.cleanup();
  });

  it('forwards a corp token with role billing to upstream 1, prefix stripped, identity set (RS256, ES256, EdDSA)', async () => {
    for (const key of [keys.rs, keys.es, keys.ed]) {
      const token = await corp(key, { sub: `sub-${key.alg}`, roles: ['billing', 'admin'] });
      const res = await send(`${base}/billing/x?a=1`, { headers: bearer(token) });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers['x-upstream'], 'up1');
      const echo = res.json<EchoRequest>();
      assert.equal(echo.method, 'GET');
      assert.equal(echo.url, '/x?a=1');
      assert.equal(echo.headers['x-user-id'], `sub-${key.alg}`);
      assert.equal(echo.headers['x-user-roles'], 'billing,admin');
      assert.equal(echo.headers.authorization, undefined, 'the token is not forwarded');
    }
  });

  it('forwards a POST body and allows role admin', async () => {
    const token = await corp(keys.es, { roles: ['admin'] });
    const res = await send(`${base}/billing/invoices/7`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: '{"amount":12}',
    });
    assert.equal(res.status, 200, res.body);
    const echo = res.json<EchoRequest>();
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/invoices/7');
    assert.equal(echo.body, '{"amount":12}');
    assert.equal(echo.headers['x-user-roles'], 'admin');
  });

  it('forwards a tutorial HS256 token sent as Token and as Bearer on / to upstream 2', async () => {
    const token = await tutorialToken();
    tokens.push(token);
    for (const headers of [{ token }, bearer(token)]) {
      const res = await send(`${base}/`, { headers });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers['x-upstream'], 'up2');
      const echo = res.json<EchoRequest>();
      assert.equal(echo.url, '/');
      assert.equal(echo.headers.token, undefined, 'the Token header is not forwarded');
      assert.equal(echo.headers.authorization, undefined, 'the Authorization header is not forwarded');
    }
  });

  it('serves the public /healthz without a token', async () => {
    const res = await send(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-upstream'], 'up1');
    assert.equal(res.json<EchoRequest>().url, '/healthz');
  });

  it('answers 401 "No Authorization Token provided" with WWW-Authenticate: Bearer without a token', async () => {
    for (const path of ['/billing/x', '/']) {
      const res = await send(`${base}${path}`);
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      const body = res.json<ErrorBody>();
      assert.equal(body.message, 'No Authorization Token provided');
      assert.equal(body.error, 'ERR_TOKEN_MISSING');
    }
  });

  it('answers 401 invalid_token for expired, forged, wrong-audience and typ JWT tokens', async () => {
    const cases: [string, Promise<string>][] = [
      ['ERR_TOKEN_EXPIRED', corp(keys.rs, { exp: nowSeconds() - 60 })],
      ['ERR_SIGNATURE_INVALID', corp(keys.impostor)],
      ['ERR_AUDIENCE_MISMATCH', corp(keys.es, { aud: 'api://other' })],
      ['ERR_TOKEN_TYPE_MISMATCH', corp(keys.ed, { typ: 'JWT' })],
    ];
    const seenBefore = up1.seen.length;
    for (const [code, pending] of cases) {
      const res = await send(`${base}/billing/x`, { headers: bearer(await pending) });
      assert.equal(res.status, 401, code);
      assert.equal(res.json<ErrorBody>().error, code);
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer error="invalid_token"/);
    }
    assert.equal(up1.seen.length, seenBefore, 'nothing reached the upstream');
  });

  it('answers 403 insufficient_scope to a corp token without billing or admin', async () => {
    const res = await send(`${base}/billing/x`, {
      headers: bearer(await corp(keys.rs, { roles: ['viewer'] })),
    });
    assert.equal(res.status, 403);
    assert.equal(res.json<ErrorBody>().error, 'ERR_INSUFFICIENT_ROLE');
    assert.match(res.headers['www-authenticate'] ?? '', /error="insufficient_scope"/);
  });

  it('denies by default: 404 for a path no route matches, even with a valid token', async () => {
    const token = await corp(keys.rs);
    for (const path of ['/other', '/billingx', '/healthz/more']) {
      const res = await send(`${base}${path}`, { headers: bearer(token) });
      assert.equal(res.status, 404, path);
      assert.equal(res.json<ErrorBody>().error, 'ERR_ROUTE_NOT_FOUND');
    }
  });

  it('answers 405 with Allow to DELETE /billing/x', async () => {
    const res = await send(`${base}/billing/x`, {
      method: 'DELETE',
      headers: bearer(await corp(keys.rs)),
    });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, POST');
    assert.equal(res.json<ErrorBody>().error, 'ERR_METHOD_NOT_ALLOWED');
  });

  it('denies a revoked jti on the next request, also when the token was cached', async () => {
    const exp = nowSeconds() + 300;
    const cached = await corp(keys.rs, { jti: 'revoke-me', exp });
    const fresh = await corp(keys.es, { jti: 'revoke-me', exp });
    // Twice: the second is answered from the verified-token cache.
    for (let i = 0; i < 2; i++)
      assert.equal((await send(`${base}/billing/x`, { headers: bearer(cached) })).status, 200);
    const posted = await send(`${admin}/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jti: 'revoke-me', exp }),
    });
    assert.equal(posted.status, 204);
    for (const token of [cached, fresh]) {
      const res = await send(`${base}/billing/x`, { headers: bearer(token) });
      assert.equal(res.status, 401);
      assert.equal(res.json<ErrorBody>().error, 'ERR_TOKEN_REVOKED');
    }
    const list = await send(`${admin}/revocations`);
    assert.deepEqual(list.json(), { revoked: [{ jti: 'revoke-me', exp }] });
    // Other tokens are unaffected.
    assert.equal((await send(`${base}/billing/x`, { headers: bearer(await corp(keys.rs)) })).status, 200);
  });

  it('serves /healthz, /readyz and /metrics on the admin listener', async () => {
    assert.equal((await send(`${admin}/healthz`)).status, 200);
    const ready = await send(`${admin}/readyz`);
    assert.equal(ready.status, 200);
    const providers = ready.json<{ providers: Record<string, { ready: boolean }> }>().providers;
    assert.equal(providers.corp?.ready, true);
    assert.equal(providers.tutorial?.ready, true);
    const metrics = await send(`${admin}/metrics`);
    assert.equal(metrics.status, 200);
    const text = metrics.body;
    assert.match(text, /^jwtgate_requests_total\{route="billing",status="200",mode="proxy"\} [1-9]/m);
    assert.match(text, /^jwtgate_requests_total\{route="billing",status="401",mode="proxy"\} [1-9]/m);
    assert.match(text, /^jwtgate_requests_total\{route="-",status="404",mode="proxy"\} [1-9]/m);
    assert.match(text, /^jwtgate_auth_decisions_total\{decision="allow",reason="OK"\} [1-9]/m);
    for (const reason of [
      'ERR_TOKEN_MISSING',
      'ERR_TOKEN_EXPIRED',
      'ERR_INSUFFICIENT_ROLE',
      'ERR_TOKEN_REVOKED',
    ])
      assert.match(
        text,
        new RegExp(`^jwtgate_auth_decisions_total\\{decision="deny",reason="${reason}"\\} [1-9]`, 'm'),
      );
    assert.match(text, /^jwtgate_upstream_duration_seconds_bucket\{le="[^"]+",route="billing"\} /m);
    assert.match(text, /^jwtgate_upstream_duration_seconds_count\{route="billing"\} [1-9]/m);
    assert.match(text, /^jwtgate_jwks_fetch_total\{provider="corp",result="success"\} [1-9]/m);
    assert.equal((await send(`${admin}/nope`)).status, 404);
  });

  it('logs one JSON line per request with route, status, reason, sub and latency_ms', async () => {
    const token = await corp(keys.ed, { sub: 'logged-user' });
    const ids = { ok: 'log-ok-1', denied: 'log-denied-1', missing: 'log-404-1' };
    await send(`${base}/billing/x`, { headers: { ...bearer(token), 'x-request-id': ids.ok } });
    await send(`${base}/billing/x`, { headers: { 'x-request-id': ids.denied } });
    await send(`${base}/nowhere`, { headers: { 'x-request-id': ids.missing } });
    await gw.waitFor((out) => Object.values(ids).every((id) => out.includes(`"request_id":"${id}"`)));
    const line = (id: string) => {
      const found = gw.logs().filter((l) => l.request_id === id);
      assert.equal(found.length, 1, `one log line for ${id}`);
      return found[0] as Record<string, unknown>;
    };
    const ok = line(ids.ok);
    assert.equal(ok.route, 'billing');
    assert.equal(ok.status, 200);
    assert.equal(ok.reason, 'OK');
    assert.equal(ok.sub, 'logged-user');
    assert.equal(typeof ok.latency_ms, 'number');
    const denied = line(ids.denied);
    assert.deepEqual([denied.route, denied.status, denied.reason], ['billing', 401, 'ERR_TOKEN_MISSING']);
    assert.equal(typeof denied.latency_ms, 'number');
    const missing = line(ids.missing);
    assert.deepEqual([missing.route, missing.status, missing.reason], ['-', 404, 'ERR_ROUTE_NOT_FOUND']);
  });

  it('never writes a token, nor any token signature, to stdout or stderr', () => {
    assert.ok(tokens.length > 10);
    const out = gw.output();
    for (const t of tokens) {
      assert.ok(!out.includes(t), 'no token in the output');
      assert.ok(!out.includes(t.split('.')[2] as string), 'no signature in the output');
    }
  });
});

describe('jwtgate gateway: the corp JWKS server is down at start', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let keys: CorpKeys;
  let jwks: Running | undefined;
  let up: Running;
  let gw: GatewayProcess;
  let jwksPort: number;
  let base: string;
  let admin: string;

  before(async () => {
    keys = await makeCorpKeys();
    up = await startUpstream('up');
    const [gatewayPort, adminPort] = [await freePort(), await freePort()];
    jwksPort = await freePort(); // nothing listens here yet
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig({
        gateway: gatewayPort,
        admin: adminPort,
        upstream1: up.port,
        upstream2: up.port,
        jwks: jwksPort,
      }),
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${gatewayPort}`;
    admin = `http://127.0.0.1:${adminPort}`;
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  it('answers 503 with Retry-After to a corp token and /readyz 503 until the keys load', async () => {
    const token = await corpToken(keys.rs);
    const res = await send(`${base}/billing/x`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 503, res.body);
    assert.equal(res.json<ErrorBody>().error, 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.ok(res.headers['retry-after']);
    const notReady = await send(`${admin}/readyz`);
    assert.equal(notReady.status, 503);
    const providers = notReady.json<{ providers: Record<string, { ready: boolean }> }>().providers;
    assert.equal(providers.corp?.ready, false);
    assert.equal(providers.tutorial?.ready, true, 'a secret provider is ready at once');
    // The HS256 route does not depend on the JWKS server.
    const tutorial = await send(`${base}/`, { headers: { token: await tutorialToken() } });
    assert.equal(tutorial.status, 200);

    jwks = await startJwks(keys, jwksPort);
    await waitForStatus(`${admin}/readyz`, 200, 15_000);
    const after = await send(`${base}/billing/x`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 200, after.body);
    assert.match(gw.output(), /"msg":"key fetch failed"/);
  });
});
