// End to end: what the gateway forwards and how. The example config plus routes for limits,
// failures, large streams and WebSocket; real processes on real ports.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import {
  BIG_BYTES,
  BIG_CHUNKS,
  bigStreamSha256,
  CHUNK,
  type CorpKeys,
  corpToken,
  type EchoRequest,
  exampleConfig,
  freePort,
  type GatewayProcess,
  makeCorpKeys,
  type Running,
  rssBytes,
  send,
  sleep,
  startGateway,
  startJwks,
  startUpstream,
  startWsUpstream,
  tempDir,
  tutorialToken,
  type Upstream,
  waitForStatus,
  writeBig,
} from './harness.ts';

type ErrorBody = { error: string; message: string; request_id: string };

// The gateway's own ids: a random per-process prefix (72 bits, base64url) and a counter.
const GATEWAY_ID = /^[A-Za-z0-9_-]{12}-[0-9a-z]+$/;

function extraRoutes(p: { up: number; closed: number; ws: number }): string {
  const up = `http://127.0.0.1:${p.up}`;
  return `    - name: public
      match: { path: /pub/** }
      public: true
      upstream: ${up}
    - name: small
      match: { path: /small/** }
      public: true
      upstream: ${up}
      max_body_bytes: 1024
    - name: down
      match: { path: /down/** }
      public: true
      upstream: http://127.0.0.1:${p.closed}
    - name: deadline
      match: { path: /deadline/** }
      public: true
      upstream: ${up}
      timeout: 200ms
    - name: limited
      match: { path: /limited/** }
      requires: { provider: corp }
      upstream: ${up}
      rate_limit: { requests_per_second: 1, burst: 2 }
    - name: ws
      match: { path: /ws/** }
      requires: { provider: corp }
      upstream: http://127.0.0.1:${p.ws}
      strip_prefix: /ws
      websocket: true
      identity_headers: { X-User-Id: sub }
`;
}

/**
 * Streams a download, hashing it; resolves with status, byte count and sha256. With `pause` the
 * response is left unread for `pause.ms` first, and `pause.onPaused` runs at the end of it.
 */
function download(
  url: string,
  pause: { ms: number; onPaused: () => void } | null = null,
): Promise<{ status: number; bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, async (res) => {
      const h = createHash('sha256');
      let bytes = 0;
      try {
        if (pause) {
          await sleep(pause.ms);
          pause.onPaused();
        }
        for await (const c of res) {
          bytes += (c as Buffer).length;
          h.update(c as Buffer);
        }
        resolve({ status: res.statusCode ?? 0, bytes, sha256: h.digest('hex') });
      } catch (err) {
        reject(err);
      }
    })
      .on('error', reject)
      .end();
  });
}

/** Streams the big body up (chunked, or with content-length); resolves with the upstream's answer. */
function upload(
  url: string,
  withLength: boolean,
  progress: { bytes: number } = { bytes: 0 },
  chunks = BIG_CHUNKS,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: withLength ? { 'content-length': String(chunks * CHUNK) } : {},
    });
    req.on('error', reject);
    req.on('response', async (res) => {
      let body = '';
      for await (const c of res) body += c;
      resolve({ status: res.statusCode ?? 0, body });
    });
    writeBig(req, progress, chunks).then(() => req.end(), reject);
  });
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status it was refused with. */
function wsConnect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data, binary) => resolve({ data: data as Buffer, binary })),
  );
}

describe('jwtgate gateway: proxying', { timeout: 120_000 }, () => {
  const tmp = tempDir();
  let keys: CorpKeys;
  let jwks: Running;
  let up1: Upstream;
  let up2: Upstream;
  let wsUp: Awaited<ReturnType<typeof startWsUpstream>>;
  let gw: GatewayProcess;
  let base: string;
  let gatewayPort: number;
  let adminPort: number;

  before(async () => {
    keys = await makeCorpKeys();
    [jwks, up1, up2, wsUp] = await Promise.all([
      startJwks(keys),
      startUpstream('up1'),
      startUpstream('up2'),
      startWsUpstream(),
    ]);
    gatewayPort = await freePort();
    adminPort = await freePort();
    const closed = await freePort(); // nothing listens here
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(
        { gateway: gatewayPort, admin: adminPort, upstream1: up1.port, upstream2: up2.port, jwks: jwks.port },
        extraRoutes({ up: up1.port, closed, ws: wsUp.port }),
      ),
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${gatewayPort}`;
    await waitForStatus(`http://127.0.0.1:${adminPort}/readyz`, 200);
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([jwks?.close(), up1?.close(), up2?.close(), wsUp?.close()]);
    tmp.cleanup();
  });

  describe('headers', () => {
    const spoofed = {
      'x-user-id': 'admin',
      'x-user-roles': 'admin,billing',
      'x-jwtgate-anything': 'spoofed',
      'X-JWTGATE-Provider': 'corp',
    };

    it('never forwards client identity headers on public routes', async () => {
      for (const path of ['/healthz', '/pub/x']) {
        const res = await send(`${base}${path}`, { headers: { ...spoofed, 'x-other': 'kept' } });
        assert.equal(res.status, 200);
        const { headers } = res.json<EchoRequest>();
        for (const name of Object.keys(spoofed)) assert.equal(headers[name.toLowerCase()], undefined, name);
        assert.equal(headers['x-other'], 'kept');
      }
    });

    it('sets only the gateway identity headers on protected routes and drops the token headers', async () => {
      const token = await corpToken(keys.rs, { sub: 'real-user', roles: ['billing'] });
      const res = await send(`${base}/billing/x`, {
        headers: { ...spoofed, authorization: `Bearer ${token}`, token: 'not-for-upstream' },
      });
      assert.equal(res.status, 200, res.body);
      const { headers } = res.json<EchoRequest>();
      assert.equal(headers['x-user-id'], 'real-user');
      assert.equal(headers['x-user-roles'], 'billing');
      assert.equal(headers['x-jwtgate-anything'], undefined);
      assert.equal(headers['x-jwtgate-provider'], undefined);
      assert.equal(headers.authorization, undefined);

      // The tutorial provider reads Token or Bearer (one at a time: two tokens are refused as ambiguous).
      const tutorial = await tutorialToken();
      const sources: Record<string, string>[] = [
        { token: tutorial },
        { authorization: `Bearer ${tutorial}` },
      ];
      for (const headers of sources) {
        const res2 = await send(`${base}/`, { headers: { ...spoofed, ...headers } });
        assert.equal(res2.status, 200, res2.body);
        const h2 = res2.json<EchoRequest>().headers;
        for (const name of [...Object.keys(spoofed), 'token', 'authorization'])
          assert.equal(h2[name.toLowerCase()], undefined, name);
      }
    });

    it('removes hop-by-hop headers in both directions', async () => {
      const res = await send(`${base}/pub/hop`, {
        headers: {
          connection: 'keep-alive, X-Custom-Hop',
          'x-custom-hop': '1',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          'proxy-authorization': 'Basic dXNlcjpwYXNz',
          'x-end-to-end': 'kept',
        },
      });
      assert.equal(res.status, 200);
      const { headers } = res.json<EchoRequest>();
      for (const name of ['x-custom-hop', 'keep-alive', 'te', 'proxy-authorization'])
        assert.equal(headers[name], undefined, name);
      assert.doesNotMatch(String(headers.connection ?? ''), /x-custom-hop/i);
      assert.equal(headers['x-end-to-end'], 'kept');
      // The upstream answered `Connection: X-Up-Hop` and `X-Up-Hop: 1`.
      assert.equal(res.headers['x-up-hop'], undefined);
      assert.equal(res.headers['x-up-kept'], '1');
      assert.doesNotMatch(String(res.headers.connection ?? ''), /x-up-hop/i);
    });

    it('keeps a given X-Request-Id and generates one otherwise, in both directions', async () => {
      const given = await send(`${base}/pub/x`, { headers: { 'x-request-id': 'req-abc.123' } });
      assert.equal(given.headers['x-request-id'], 'req-abc.123');
      assert.equal(given.json<EchoRequest>().headers['x-request-id'], 'req-abc.123');

      const variants: Record<string, string>[] = [{}, { 'x-request-id': 'bad id with spaces' }];
      for (const headers of variants) {
        const res = await send(`${base}/pub/x`, { headers });
        const id = res.headers['x-request-id'] as string;
        assert.match(id, GATEWAY_ID);
        assert.notEqual(id, headers['x-request-id']);
        assert.equal(res.json<EchoRequest>().headers['x-request-id'], id);
      }
      // Error answers carry it too.
      const denied = await send(`${base}/billing/x`, { headers: { 'x-request-id': 'req-denied' } });
      assert.equal(denied.headers['x-request-id'], 'req-denied');
      assert.equal(denied.json<ErrorBody>().request_id, 'req-denied');
    });

    it('sets X-Forwarded-For/Proto/Host (client values not trusted) and passes traceparent through', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const res = await send(`${base}/pub/x`, {
        headers: {
          traceparent,
          'x-forwarded-for': '203.0.113.9',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'evil.example',
        },
      });
      const { headers } = res.json<EchoRequest>();
      assert.equal(headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(headers['x-forwarded-proto'], 'http');
      assert.equal(headers['x-forwarded-host'], `127.0.0.1:${gatewayPort}`);
      assert.equal(headers.traceparent, traceparent);
    });
  });

  describe('limits and failures', () => {
    it('answers 413 to a body over max_body_bytes sent with content-length', async () => {
      const res = await send(`${base}/small/x`, { method: 'POST', body: 'x'.repeat(2048) });
      assert.equal(res.status, 413);
      assert.equal(res.json<ErrorBody>().error, 'ERR_BODY_TOO_LARGE');
      const ok = await send(`${base}/small/x`, { method: 'POST', body: 'y'.repeat(1024) });
      assert.equal(ok.status, 200);
      assert.equal(ok.json<EchoRequest>().body, 'y'.repeat(1024));
    });

    it('answers 413 to a chunked body over max_body_bytes', async () => {
      const seen = up1.seen.length;
      const res = await send(`${base}/small/x`, {
        method: 'POST',
        body: Readable.from([Buffer.alloc(800, 'a'), Buffer.alloc(800, 'b')]),
      });
      assert.equal(res.status, 413);
      assert.equal(res.json<ErrorBody>().error, 'ERR_BODY_TOO_LARGE');
      assert.equal(
        up1.seen.slice(seen).filter((r) => r.url === '/small/x').length,
        0,
        'the upstream got no request',
      );
      const ok = await send(`${base}/small/x`, {
        method: 'POST',
        body: Readable.from([Buffer.alloc(500, 'a'), Buffer.alloc(500, 'b')]),
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.json<EchoRequest>().body, `${'a'.repeat(500)}${'b'.repeat(500)}`);
    });

    it('answers 502 when the upstream is down', async () => {
      const res = await send(`${base}/down/x`);
      assert.equal(res.status, 502);
      assert.equal(res.json<ErrorBody>().error, 'ERR_UPSTREAM_UNAVAILABLE');
    });

    it('answers 504 when the upstream does not answer within the route timeout (200ms)', async () => {
      const started = performance.now();
      const res = await send(`${base}/deadline/hang`);
      const took = performance.now() - started;
      assert.equal(res.status, 504);
      assert.equal(res.json<ErrorBody>().error, 'ERR_UPSTREAM_TIMEOUT');
      assert.ok(took >= 190 && took < 5000, `answered after ${took} ms`);
      assert.equal((await send(`${base}/deadline/x`)).status, 200, 'a prompt upstream is fine');
    });

    it('a client that leaves before the answer cancels the upstream request (logged as 499)', async () => {
      const before = { ...up1.hanging };
      const req = request(`${base}/pub/hang`);
      req.on('error', () => {});
      req.end();
      const deadline = Date.now() + 5000;
      while (up1.hanging.open === before.open) {
        assert.ok(Date.now() < deadline, 'the request reached the upstream');
        await sleep(20);
      }
      req.destroy();
      while (up1.hanging.closed === before.closed) {
        assert.ok(Date.now() < deadline, 'the upstream request was cancelled, not left hanging');
        await sleep(20);
      }
      while (!gw.logs().some((l) => l.path === '/pub/hang' && l.status === 499)) {
        assert.ok(Date.now() < deadline, `a 499 CLIENT_CLOSED line: ${gw.output().slice(-2000)}`);
        await sleep(20);
      }
      const line = gw.logs().find((l) => l.path === '/pub/hang');
      assert.equal(line?.reason, 'CLIENT_CLOSED');
    });

    it('answers 429 with Retry-After to the third quick request (1/s, burst 2)', async () => {
      const token = await corpToken(keys.es, { sub: 'rate-limited-user' });
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof send>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await send(`${base}/limited/x`, { headers: { authorization: `Bearer ${token}` } });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.equal(last?.json<ErrorBody>().error, 'ERR_RATE_LIMITED');
      assert.match(String(last?.headers['retry-after']), /^[1-9]\d*$/);
      // Another subject has its own bucket.
      const other = await corpToken(keys.es, { sub: 'another-user' });
      assert.equal(
        (await send(`${base}/limited/x`, { headers: { authorization: `Bearer ${other}` } })).status,
        200,
      );
    });
  });

  describe('WebSocket', () => {
    it('forwards an upgrade with a valid token on a websocket route and echoes messages', async () => {
      const token = await corpToken(keys.ed, { sub: 'ws-user' });
      const ws = await wsConnect(`ws://127.0.0.1:${gatewayPort}/ws/echo`, {
        authorization: `Bearer ${token}`,
        'x-user-id': 'spoofed',
      });
      assert.ok(ws instanceof WebSocket, `upgrade refused with ${ws}`);
      try {
        const text = nextMessage(ws);
        ws.send('hello through the gateway');
        const got = await text;
        assert.equal(got.data.toString(), 'hello through the gateway');
        assert.equal(got.binary, false);
        const bin = nextMessage(ws);
        ws.send(Buffer.from([0, 1, 2, 255]));
        const b = await bin;
        assert.deepEqual([...b.data], [0, 1, 2, 255]);
        assert.equal(b.binary, true);
      } finally {
        ws.close();
      }
      const seen = wsUp.headers.at(-1);
      assert.equal(seen?.['x-user-id'], 'ws-user');
      assert.equal(seen?.authorization, undefined);
    });

    it('refuses an upgrade without a token with 401', async () => {
      assert.equal(await wsConnect(`ws://127.0.0.1:${gatewayPort}/ws/echo`), 401);
    });

    it('refuses an upgrade on a route without websocket: true', async () => {
      const token = await corpToken(keys.rs);
      assert.equal(
        await wsConnect(`ws://127.0.0.1:${gatewayPort}/billing/x`, { authorization: `Bearer ${token}` }),
        404,
      );
      assert.equal(await wsConnect(`ws://127.0.0.1:${gatewayPort}/pub/x`), 404);
    });

    it('each upgrade, forwarded or refused, is one access line and one count, as a plain request is', async () => {
      // The four upgrades above: forwarded (101), no token (401), two on routes without websocket.
      const upgrades = () => gw.logs().filter((l) => l.upgrade === true);
      const deadline = Date.now() + 5000;
      while (upgrades().length < 4 && Date.now() < deadline) await sleep(50);
      await sleep(300); // a second line for any of them would be in the next batch
      assert.deepEqual(
        upgrades().map((l) => `${l.method} ${l.path} ${l.status}`),
        ['GET /ws/echo 101', 'GET /ws/echo 401', 'GET /billing/x 404', 'GET /pub/x 404'],
      );
      for (const l of upgrades()) assert.equal(typeof l.reason, 'string');
      const metrics = (await send(`http://127.0.0.1:${adminPort}/metrics`)).body;
      assert.match(metrics, /^jwtgate_requests_total\{route="ws",status="101",mode="proxy"\} 1$/m);
      assert.match(metrics, /^jwtgate_requests_total\{route="ws",status="401",mode="proxy"\} 1$/m);
    });
  });
});

describe('jwtgate gateway: 50 MiB streamed through', { timeout: 120_000 }, () => {
  const tmp = tempDir();
  const expected = bigStreamSha256();
  let keys: CorpKeys;
  let jwks: Running;
  let up: Upstream;
  let gw: GatewayProcess;
  let base: string;

  before(async () => {
    keys = await makeCorpKeys();
    [jwks, up] = await Promise.all([startJwks(keys), startUpstream('big')]);
    const gatewayPort = await freePort();
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(
        { gateway: gatewayPort, upstream1: up.port, upstream2: up.port, jwks: jwks.port },
        `    - name: big
      match: { path: /big/** }
      public: true
      upstream: http://127.0.0.1:${up.port}
      max_body_bytes: 314572800
      timeout: 60s
`,
      ),
    );
    // A small young generation: released socket buffers are collected promptly, so RSS shows
    // what the gateway holds, not how much garbage the default 16 MiB semi-space lets pile up
    // (measured: about +63 MiB for 50 MiB and +70 MiB for 200 MiB, i.e. not proportional).
    gw = await startGateway(file, { env: { NODE_OPTIONS: '--max-semi-space-size=1' } });
    base = `http://127.0.0.1:${gatewayPort}`;
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  it('streams 50 MiB down and up (chunked and with content-length) with flat gateway memory', async () => {
    // Warm up the path (pool, JIT) before the baseline.
    assert.equal((await send(`${base}/big/x`)).status, 200);
    const before = rssBytes(gw.pid);

    const down = await download(`${base}/big/download`);
    assert.equal(down.status, 200);
    assert.equal(down.bytes, BIG_BYTES);
    assert.equal(down.sha256, expected);

    for (const withLength of [false, true]) {
      const res = await upload(`${base}/big/upload`, withLength);
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(JSON.parse(res.body), { bytes: BIG_BYTES, sha256: expected });
    }

    const grown = rssBytes(gw.pid) - before;
    assert.ok(grown < 40 * 1024 * 1024, `gateway RSS grew by ${(grown / 1048576).toFixed(1)} MiB`);
  });

  // Loopback sockets may buffer tens of MiB in the kernel (tcp_rmem autotuning), so these use a
  // 256 MiB stream: a gateway that buffered in user space would let all of it through.
  const HUGE_CHUNKS = 4096;
  const HUGE_BYTES = HUGE_CHUNKS * CHUNK;

  it('passes backpressure to the upstream when the client stops reading', async () => {
    let whilePaused = -1;
    const down = await download(`${base}/big/download?chunks=${HUGE_CHUNKS}`, {
      ms: 500,
      onPaused: () => {
        whilePaused = up.downloaded.bytes;
      },
    });
    assert.equal(down.bytes, HUGE_BYTES);
    assert.equal(down.sha256, bigStreamSha256(HUGE_CHUNKS));
    assert.ok(
      whilePaused > 0 && whilePaused < HUGE_BYTES / 2,
      `the upstream wrote ${whilePaused} bytes while the client read nothing`,
    );
  });

  it('passes backpressure to the client when the upstream stops reading', async () => {
    const progress = { bytes: 0 };
    const release = up.holdUploads();
    const pending = upload(`${base}/big/upload`, false, progress, HUGE_CHUNKS);
    await sleep(500); // the upstream reads nothing until released
    const whilePaused = progress.bytes;
    release();
    const res = await pending;
    assert.deepEqual(JSON.parse(res.body), { bytes: HUGE_BYTES, sha256: bigStreamSha256(HUGE_CHUNKS) });
    assert.ok(
      whilePaused > 0 && whilePaused < HUGE_BYTES / 2,
      `the client wrote ${whilePaused} bytes while the upstream read nothing`,
    );
  });
});
