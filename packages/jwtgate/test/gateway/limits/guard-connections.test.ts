import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import type { Limits } from '../../../src/gateway/config/compile-limits.ts';
import { guardConnections } from '../../../src/gateway/limits/guard-connections.ts';

const limits = {
  maxConnectionsPerAddress: 0,
  firstByteTimeoutMs: 0,
  idleTimeoutMs: 1500,
} as Limits;

// A real node:http server on a port the OS picks; keep-alive longer than anything here, so only
// the guard's sweep can close a connection.
const server = createServer((req, res) => {
  req.resume();
  if (req.url === '/slow') {
    // Answer in small pieces for 3 s: traffic the whole time.
    let n = 0;
    const tick = setInterval(() => {
      res.write('.');
      if (++n === 12) {
        clearInterval(tick);
        res.end();
      }
    }, 250);
  } else res.end('ok');
});
server.keepAliveTimeout = 60_000;
const reached: string[] = [];
const guard = guardConnections(
  server,
  () => limits,
  (limit) => reached.push(limit),
);
const port = await new Promise<number>((resolve) =>
  server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
);
after(() => {
  guard.close();
  server.close();
  server.closeAllConnections();
});

function open(): Promise<{ socket: Socket; closedAt: Promise<number> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      const closedAt = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
      resolve({ socket, closedAt });
    });
    socket.on('error', () => {});
    socket.on('data', () => {});
  });
}

describe('guardConnections: idle_timeout', () => {
  test('a keep-alive connection with no traffic either way is closed after idle_timeout (sweep: within a second of it)', async () => {
    const { socket, closedAt } = await open();
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const lastTraffic = Date.now();
    const closed = await closedAt;
    const idle = closed - lastTraffic;
    assert.ok(idle >= 1400 && idle < 5000, `closed after ${idle} ms idle`);
    assert.deepEqual(
      reached,
      ['idle_timeout'],
      'counted in jwtgate_limit_reached_total{limit="idle_timeout"}',
    );
  });

  test('traffic keeps a connection open past idle_timeout, however long the response takes', async () => {
    const { socket, closedAt } = await open();
    const started = Date.now();
    let body = '';
    socket.on('data', (d) => {
      body += d;
    });
    socket.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n');
    const closed = await closedAt;
    assert.ok(closed - started >= 3000 + 1400, `closed ${closed - started} ms after the start`);
    assert.match(body, /\.{12}|(\.\r\n[0-9a-f]+\r\n){2}/);
  });

  test('with idle_timeout 0 nothing is closed for idleness', async () => {
    const saved = limits.idleTimeoutMs;
    (limits as { idleTimeoutMs: number }).idleTimeoutMs = 0;
    try {
      const { socket } = await open();
      socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(!socket.destroyed && socket.readyState === 'open');
      socket.destroy();
    } finally {
      (limits as { idleTimeoutMs: number }).idleTimeoutMs = saved;
    }
  });
});
