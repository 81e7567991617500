// h2load against the gateway process terminating TLS with HTTP/2, timing-based (`-D`): why such a
// run could never finish, and that bench/lib/load's h2load driver finishes it with whole figures.
// The cause is h2load's: when its duration ends it stops only the clients that already have a
// session, so a client whose TLS handshake completes later goes on sending requests for ever. The
// gateway, a Node process on a busy core, completes 64 handshakes under load more slowly than
// nginx, which is how the bench hit it. Here a TCP relay in front of the gateway holds one
// connection's bytes until the duration is over, so the late handshake does not depend on load.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { runLoad } from '../../../../bench/lib/load.ts';
import { makeCa, makeCert } from '../gateway/helpers/certs.ts';
import {
  freePort,
  type GatewayProcess,
  sleep,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

const H2LOAD = '/usr/bin/h2load';
const have = existsSync(H2LOAD);
// CI installs nghttp2-client (.ci/run): there a missing h2load fails the test instead of skipping it.
const skip = !have && !process.env.CI ? 'no h2load (apt-get install -y nghttp2-client)' : false;

/** A relay to `target`; the connection numbered `late` (from 1) is held `holdMs` before any byte passes. */
async function startRelay(
  target: number,
  late: number,
  holdMs: number,
): Promise<{ server: Server; port: number }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const number = ++n;
    sockets.add(client);
    client.pause();
    const pipe = () => {
      const upstream = tcpConnect(target, '127.0.0.1', () => {
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', close).on('close', close);
      client.on('error', close).on('close', close);
    };
    if (number === late) setTimeout(pipe, holdMs);
    else pipe();
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** One second of bench/lib/load's h2load driver (4 streams a connection), nothing watched. */
const h2loadRun = (port: number, o: { connections: number; warmupSeconds?: number }) =>
  runLoad(
    { wrk: '/usr/bin/wrk', h2load: H2LOAD, taskset: null, cpu: null, seconds: 1, watch: [], ...o },
    { url: `https://127.0.0.1:${port}/pub/x`, http2: { streams: 4 } },
  );

describe('h2load -D against the gateway terminating TLS with HTTP/2 (real process)', { skip }, () => {
  const dir = tempDir();
  let echo: Upstream;
  let gateway: GatewayProcess;
  let port = 0;
  let adminPort = 0;

  before(async () => {
    assert.ok(have, `${H2LOAD} is missing: CI installs nghttp2-client`);
    const ca = makeCa(dir.dir);
    const cert = makeCert(ca, 'gw', { dns: ['bench.test'] });
    echo = await startUpstream('echo');
    port = await freePort();
    adminPort = await freePort();
    const config = dir.write(
      'gateway.yaml',
      stringify({
        gateway: {
          listen: `127.0.0.1:${port}`,
          admin: { listen: `127.0.0.1:${adminPort}` },
          tls: { certificates: [{ cert: cert.cert, key: cert.key }] },
          providers: {
            corp: {
              issuer: 'https://issuer.example',
              secret: 'a-secret-that-is-long-enough-for-hs256-0123456789',
              algorithms: ['HS256'],
              audiences: ['api'],
            },
          },
          routes: [{ name: 'pub', match: { path: '/pub/**' }, public: true, upstream: echo.origin }],
        },
      }),
    );
    gateway = await startGateway(config);
  });

  after(async () => {
    await gateway?.stop();
    await echo?.close();
    dir.cleanup();
  });

  test('the cause: a client whose handshake completes after the duration keeps h2load running', async () => {
    // Two connections; the second reaches the gateway 2.5 s after the start, past the 1 s duration.
    const relay = await startRelay(port, 2, 2500);
    const h2load = spawn(H2LOAD, ['-D', '1', '-c', '2', '-m', '4', `https://127.0.0.1:${relay.port}/pub/x`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    h2load.stdout.on('data', (d) => (out += d));
    let exited = false;
    h2load.once('exit', () => (exited = true));
    try {
      await sleep(4000);
      assert.match(out, /Main benchmark duration is over/);
      const before = echo.seen.length;
      await sleep(1000);
      assert.equal(exited, false, `h2load finished after all:\n${out}`);
      // Still sending: the gateway keeps answering the late client (it is not the one that hangs).
      assert.ok(echo.seen.length > before, 'the late client sends requests after the duration');
    } finally {
      h2load.kill('SIGKILL');
      relay.server.close();
    }
  });

  test('bench/lib/load drives h2load through it: stopped after its duration, figures from its log', async () => {
    const relay = await startRelay(port, 2, 2500);
    try {
      const result = await h2loadRun(relay.port, { connections: 2 });
      assert.equal(result.stopped, true);
      assert.ok(result.requests > 0, 'requests within the duration are counted');
      assert.equal(result.non2xx, 0);
      assert.equal(result.socketErrors, null);
      assert.ok(Number.isFinite(result.p99Ms) && result.p99Ms >= result.p50Ms);
      assert.ok(Math.abs(result.rps - result.requests) < 1e-9, 'req/s over the 1 s duration');
    } finally {
      relay.server.close();
    }
  });

  test('a run whose connections are all made in the warm-up ends by itself', async () => {
    const result = await h2loadRun(port, { connections: 4, warmupSeconds: 2 });
    assert.equal(result.stopped, undefined);
    assert.ok(result.requests > 0);
    assert.equal(result.non2xx, 0);
  });

  test('after the runs (GOAWAY, streams in flight dropped) the gateway holds no connection and stops at once', async () => {
    const open = async () => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      return Number(/^jwtgate_connections (\d+)/m.exec(text)?.[1] ?? Number.NaN);
    };
    const deadline = Date.now() + 5000;
    while ((await open()) !== 0 && Date.now() < deadline) await sleep(100);
    assert.equal(await open(), 0, 'no client connection left open');
    // A request counted in flight for ever would hold SIGTERM's drain for its whole 10 s grace.
    const t = Date.now();
    assert.equal(await gateway.stop(), 0);
    assert.ok(Date.now() - t < 5000, `stopped in ${Date.now() - t} ms`);
  });
});
