// End to end: slow and stuck clients against a real `jwtgate gateway` process and real
// upstreams. Slow request bodies, silent connections, headers sent too slowly, many connections
// from one address, a route holding its upstream, and a process short of file descriptors: each
// must not keep others from being served. Small limits keep every test to a few seconds.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type CorpKeys,
  corpToken,
  exampleConfig,
  freePort,
  type GatewayProcess,
  makeCorpKeys,
  type Running,
  rawRequest,
  rawStatus,
  send,
  sleep,
  startGateway,
  startJwks,
  startUpstream,
  tempDir,
  type Upstream,
  waitForStatus,
} from './harness.ts';

interface Held {
  readonly socket: Socket;
  readonly received: string[];
  /** When the connection was closed (by either side), or null while open. */
  closedAt: number | null;
}

/** A connection from `localAddress` that sent `first` (nothing when empty); its fate is recorded. */
function openConnection(port: number, localAddress: string, first = ''): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
      if (first) socket.write(first);
      resolve(held);
    });
    const held: Held = { socket, received: [], closedAt: null };
    socket.on('data', (d) => held.received.push(String(d)));
    socket.on('error', () => {});
    socket.on('close', () => {
      held.closedAt = Date.now();
    });
    socket.once('error', reject);
  });
}

async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** One GET on a fresh connection; resolves with the status and the time it took (0 status: no answer in `timeoutMs`). */
function timedGet(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
    });
    req.on('error', () => resolve({ status: 0, ms: Date.now() - started }));
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ status: 0, ms: Date.now() - started });
    });
    req.end();
  });
}

async function metric(adminBase: string, line: RegExp): Promise<number> {
  const text = (await send(`${adminBase}/metrics`)).body;
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').pop()) : Number.NaN;
}

describe('jwtgate gateway: slow request bodies on one route, with the default limits', {
  timeout: 120_000,
}, () => {
  const tmp = tempDir();
  let keys: CorpKeys;
  let jwks: Running;
  let up: Upstream;
  let gw: GatewayProcess;
  let port: number;

  before(async () => {
    keys = await makeCorpKeys();
    [jwks, up] = await Promise.all([startJwks(keys), startUpstream('up')]);
    port = await freePort();
    const admin = await freePort();
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(
        { gateway: port, admin, upstream1: up.port, upstream2: up.port, jwks: jwks.port },
        `    - name: public
      match: { path: /public/** }
      public: true
      upstream: http://127.0.0.1:${up.port}
`,
      ),
    );
    gw = await startGateway(file);
    await waitForStatus(`http://127.0.0.1:${admin}/readyz`, 200);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  it('260 slow bodies on a public route: a protected route to the same upstream still answers within a second', async () => {
    // More slow requests than the upstream pool has connections (256), from two addresses so the
    // per-address cap is not what stops them; each sends a byte a second of a 1 MB body.
    const slow: Held[] = [];
    const head = (i: number) =>
      `POST /public/slow-${i} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\nx`;
    try {
      for (let i = 0; i < 260; i++)
        slow.push(await openConnection(port, i % 2 ? '127.0.0.2' : '127.0.0.3', head(i)));
      const drip = setInterval(() => {
        for (const s of slow) if (s.closedAt === null) s.socket.write('x');
      }, 1000);
      try {
        await sleep(1500);
        const token = await corpToken(keys.rs, { roles: ['billing'] });
        for (let i = 0; i < 6; i++) {
          const r = await timedGet(
            `http://127.0.0.1:${port}/billing/while-slow-${i}`,
            { authorization: `Bearer ${token}` },
            3000,
          );
          assert.equal(r.status, 200, `protected request ${i}: no answer within 3 s`);
          assert.ok(r.ms < 1000, `protected request ${i} took ${r.ms} ms`);
          await sleep(250);
        }
      } finally {
        clearInterval(drip);
      }
    } finally {
      for (const s of slow) s.socket.destroy();
    }
  });
});

describe('jwtgate gateway: limits on slow and stuck clients', { timeout: 120_000 }, () => {
  const tmp = tempDir();
  let up: Upstream;
  let jwks: Running;
  let gw: GatewayProcess;
  let port: number;
  let admin: string;

  before(async () => {
    const keys = await makeCorpKeys();
    [jwks, up] = await Promise.all([startJwks(keys), startUpstream('up')]);
    port = await freePort();
    const adminPort = await freePort();
    const u = `http://127.0.0.1:${up.port}`;
    let text = exampleConfig(
      { gateway: port, admin: adminPort, upstream1: up.port, upstream2: up.port, jwks: jwks.port },
      `    - name: pub
      match: { path: /pub/** }
      public: true
      upstream: ${u}
    - name: hang
      match: { path: /hold/** }
      public: true
      upstream: ${u}
      max_concurrent: 2
`,
    );
    text = text.replace(
      `  listen: 127.0.0.1:${port}\n`,
      `  listen: 127.0.0.1:${port}
  limits:
    first_byte_timeout: 1s
    headers_timeout: 2s
    body_timeout: 1s
    body_min_rate: 1000
    max_connections_per_address: 10
    upstream_queue_timeout: 1s
`,
    );
    gw = await startGateway(tmp.write('jwtgate.yaml', text));
    admin = `http://127.0.0.1:${adminPort}`;
    await waitForStatus(`${admin}/readyz`, 200);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  it('a connection that sends nothing is closed by the first-byte deadline (1 s), and counted', async () => {
    const before = await metric(admin, /^jwtgate_limit_reached_total\{limit="first_byte_timeout"\}/);
    const silent = await openConnection(port, '127.0.0.6');
    const opened = Date.now();
    await until(() => silent.closedAt !== null, 5000, 'the silent connection to be closed');
    const after = (silent.closedAt as number) - opened;
    assert.ok(after >= 900 && after < 3500, `closed after ${after} ms`);
    assert.deepEqual(silent.received, [], 'nothing is answered to a connection that asked nothing');
    assert.equal(
      await metric(admin, /^jwtgate_limit_reached_total\{limit="first_byte_timeout"\}/),
      before + 1,
    );
  });

  it('headers that do not arrive within headers_timeout (2 s) get 408, within a second or two of it', async () => {
    const started = Date.now();
    const r = await rawRequest(port, 'GET /pub/slow-headers HTTP/1.1\r\nHost: gw\r\nX-Partial: ', {
      localAddress: '127.0.0.7',
      timeoutMs: 10_000,
    });
    const took = Date.now() - started;
    assert.equal(rawStatus(r.text), 408, r.text);
    assert.match(r.text, /ERR_HEADERS_TIMEOUT/);
    assert.ok(r.closed, 'the connection is closed');
    assert.ok(took >= 1900 && took < 4500, `answered after ${took} ms`);
    assert.ok((await metric(admin, /^jwtgate_limit_reached_total\{limit="headers_timeout"\}/)) >= 1);
  });

  it('a body slower than body_min_rate after body_timeout gets 408 ERR_BODY_TIMEOUT and the connection closed', async () => {
    const started = Date.now();
    const r = await rawRequest(
      port,
      'POST /pub/slow-body HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000\r\n\r\n0123456789',
      { localAddress: '127.0.0.8', timeoutMs: 10_000 },
    );
    const took = Date.now() - started;
    assert.equal(rawStatus(r.text), 408, r.text);
    assert.match(r.text, /ERR_BODY_TIMEOUT/);
    assert.ok(r.closed);
    assert.ok(took < 4000, `answered after ${took} ms`);
    assert.ok(!up.seen.some((s) => s.url === '/pub/slow-body'), 'nothing of it went upstream');
    assert.ok((await metric(admin, /^jwtgate_limit_reached_total\{limit="body_timeout"\}/)) >= 1);
  });

  it('a body that keeps up the minimum rate is not cut off', async () => {
    // 3000 bytes at about 2000 bytes a second: beyond body_timeout (1 s), above body_min_rate.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${port}/pub/steady`, {
        method: 'POST',
        agent: false,
        headers: { 'content-length': '3000' },
      });
      req.on('error', reject);
      req.on('response', async (r) => {
        let body = '';
        for await (const c of r) body += c;
        resolve({ status: r.statusCode ?? 0, body });
      });
      let sent = 0;
      const tick = setInterval(() => {
        req.write('x'.repeat(200));
        sent += 200;
        if (sent >= 3000) {
          clearInterval(tick);
          req.end();
        }
      }, 100);
    });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { body: string }).body.length, 3000);
  });

  it('past max_connections_per_address (10) a connection is closed at once; other addresses are served', async () => {
    const held: Held[] = [];
    try {
      // Each sends a byte, so the first-byte deadline leaves them alone for this test.
      for (let i = 0; i < 10; i++) held.push(await openConnection(port, '127.0.0.9', 'G'));
      await sleep(100);
      const over = await openConnection(port, '127.0.0.9', 'GET /pub/x HTTP/1.1\r\nHost: gw\r\n\r\n');
      await until(() => over.closedAt !== null, 2000, 'the 11th connection to be closed');
      assert.deepEqual(over.received, [], 'it got no answer');
      assert.ok(
        held.every((s) => s.closedAt === null),
        'the first ten stay open',
      );
      const other = await rawRequest(
        port,
        'GET /pub/other HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n',
        {
          localAddress: '127.0.0.10',
        },
      );
      assert.equal(rawStatus(other.text), 200);
      assert.ok(
        (await metric(admin, /^jwtgate_limit_reached_total\{limit="connections_per_address"\}/)) >= 1,
      );
    } finally {
      for (const s of held) s.socket.destroy();
    }
  });

  it('a route at its max_concurrent (2) answers 503 ERR_UPSTREAM_BUSY after upstream_queue_timeout; another route on the same upstream still answers', async () => {
    // The two hold the route's places until they give up (after 4 s).
    const hanging = [0, 1].map(() => timedGet(`http://127.0.0.1:${port}/hold/hang`, {}, 4000));
    await until(() => up.hanging.open >= 2, 3000, 'two requests to hang upstream');
    const started = Date.now();
    const busy = await send(`http://127.0.0.1:${port}/hold/hang`);
    const took = Date.now() - started;
    assert.equal(busy.status, 503);
    assert.equal(busy.json<{ error: string }>().error, 'ERR_UPSTREAM_BUSY');
    assert.ok(Number(busy.headers['retry-after']) >= 1);
    assert.ok(took >= 900 && took < 3000, `answered after ${took} ms`);
    assert.equal(up.hanging.open, 2, 'the third never reached the upstream');
    const other = await timedGet(`http://127.0.0.1:${port}/pub/meanwhile`, {}, 3000);
    assert.equal(other.status, 200);
    assert.ok((await metric(admin, /^jwtgate_limit_reached_total\{limit="upstream_busy"\}/)) >= 1);
    assert.equal(await metric(admin, /^jwtgate_upstream_active_requests\{/), 2);
    await Promise.all(hanging);
  });
});

describe('jwtgate gateway: connections kept under the open-file limit', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let up1: Upstream;
  let up2: Upstream;
  let jwks: Running;
  let gw: GatewayProcess;
  let port: number;
  let admin: string;

  before(async () => {
    const keys = await makeCorpKeys();
    [jwks, up1, up2] = await Promise.all([startJwks(keys), startUpstream('up1'), startUpstream('up2')]);
    port = await freePort();
    const adminPort = await freePort();
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(
        { gateway: port, admin: adminPort, upstream1: up1.port, upstream2: up2.port, jwks: jwks.port },
        `    - name: second
      match: { path: /second/** }
      public: true
      upstream: http://127.0.0.1:${up2.port}
`,
      ),
    );
    // 300 descriptors for everything: default limits otherwise.
    gw = await startGateway(file, { prefix: ['prlimit', '--nofile=300:300'] });
    admin = `http://127.0.0.1:${adminPort}`;
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([jwks?.close(), up1?.close(), up2?.close()]);
    tmp.cleanup();
  });

  it('with 400 connections held, requests still reach upstreams and the admin listener answers', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<number>((resolve) => {
        const req = request(`http://127.0.0.1:${port}${path}`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.setTimeout(3000, () => req.destroy());
        req.end();
      });
    const held: Socket[] = [];
    try {
      assert.equal(await get('/healthz'), 200, 'a client connected before the flood');
      for (let i = 0; i < 400; i++) {
        const s = connect({ port, host: '127.0.0.1', localAddress: `127.0.1.${1 + (i % 4)}` });
        s.on('error', () => {});
        held.push(s);
      }
      await sleep(1500);
      // The earlier client's next request needs a new upstream socket (an upstream not used yet).
      assert.equal(await get('/second/after-flood'), 200);
      assert.ok(up2.seen.some((r) => r.url === '/second/after-flood'));
      assert.ok((await metric(admin, /^jwtgate_limit_reached_total\{limit="max_connections"\}/)) > 0);
      // The cap in force: under half of what is left after the reserve, as the ready line says.
      const ready = gw.logs().find((l) => l.msg === 'gateway ready') as {
        open_file_limit: number;
        max_connections: number;
      };
      assert.equal(ready.open_file_limit, 300);
      assert.ok(
        ready.max_connections > 0 && ready.max_connections <= 150,
        `max_connections ${ready.max_connections}`,
      );
      assert.equal(await metric(admin, /^jwtgate_max_connections /), ready.max_connections);
    } finally {
      for (const s of held) s.destroy();
      agent.destroy();
    }
  });
});

describe('jwtgate gateway: idle connections', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let up: Upstream;
  let jwks: Running;
  let gw: GatewayProcess;
  let port: number;
  let admin: string;

  before(async () => {
    const keys = await makeCorpKeys();
    [jwks, up] = await Promise.all([startJwks(keys), startUpstream('up')]);
    port = await freePort();
    const adminPort = await freePort();
    let text = exampleConfig(
      { gateway: port, admin: adminPort, upstream1: up.port, upstream2: up.port, jwks: jwks.port },
      `    - name: hang
      match: { path: /hold/** }
      public: true
      upstream: http://127.0.0.1:${up.port}
`,
    );
    // The idle timeout shorter than the first-byte deadline, so it is the one that fires.
    text = text.replace(
      `  listen: 127.0.0.1:${port}\n`,
      `  listen: 127.0.0.1:${port}\n  limits:\n    first_byte_timeout: 10s\n    idle_timeout: 1s\n`,
    );
    gw = await startGateway(tmp.write('jwtgate.yaml', text));
    admin = `http://127.0.0.1:${adminPort}`;
    await waitForStatus(`${admin}/readyz`, 200);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  it('a connection with no traffic either way for idle_timeout (1 s) is closed, and counted', async () => {
    const label = /^jwtgate_limit_reached_total\{limit="idle_timeout"\}/;
    assert.equal(await metric(admin, label), 0);
    // One that never sent a byte, and one waiting on an upstream that never answers.
    const silent = await openConnection(port, '127.0.0.11');
    const waiting = await openConnection(port, '127.0.0.12', 'GET /hold/hang HTTP/1.1\r\nHost: gw\r\n\r\n');
    const opened = Date.now();
    await until(() => silent.closedAt !== null && waiting.closedAt !== null, 5000, 'both to be closed');
    for (const [name, c] of [
      ['silent', silent],
      ['waiting', waiting],
    ] as const) {
      const after = (c.closedAt as number) - opened;
      assert.ok(after >= 800 && after < 3500, `${name}: closed after ${after} ms`);
      assert.deepEqual(c.received, [], `${name}: no answer`);
    }
    assert.equal(await metric(admin, label), 2);
    await until(() => up.hanging.closed >= 1, 3000, 'the upstream request to be given up');
  });
});
