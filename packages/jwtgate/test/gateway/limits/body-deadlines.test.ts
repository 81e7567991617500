// The body deadline's sweep over real TCP sockets (their byte counts and pause state), with the
// clock injected and the one-second sweep driven by node:test's mock timers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { watchBodyDeadlines } from '../../../src/gateway/limits/body-deadlines.ts';
import type { RequestState } from '../../../src/gateway/pipeline/request-state.ts';

interface Pair {
  readonly client: Socket;
  readonly server: Socket;
  /** What a request whose body arrives on `server` looks like to the sweep. */
  readonly req: { complete: boolean; socket: Socket };
}

describe('watchBodyDeadlines', () => {
  let listener: Server;
  let port: number;
  const accepted: Socket[] = [];
  const pairs: Pair[] = [];
  let t: number;
  let late: RequestState[];

  before(async () => {
    listener = createServer((s) => {
      s.on('data', () => {});
      accepted.push(s);
    }).listen(0, '127.0.0.1');
    await once(listener, 'listening');
    port = (listener.address() as { port: number }).port;
  });
  after(() => listener.close());

  beforeEach(() => {
    t = 0;
    late = [];
    mock.timers.enable({ apis: ['setInterval'] });
  });
  afterEach(() => {
    mock.timers.reset();
    for (const p of pairs.splice(0)) p.client.destroy();
  });

  async function pair(): Promise<Pair> {
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    while (accepted.length === 0) await new Promise((r) => setImmediate(r));
    const server = accepted.shift() as Socket;
    const p = { client, server, req: { complete: false, socket: server } };
    pairs.push(p);
    return p;
  }

  /** 2 s plus 1 s per 500 bytes received. */
  const state = (req: Pair['req']) =>
    ({ req, g: { limits: { bodyTimeoutMs: 2000, bodyMinRate: 500 } } }) as unknown as RequestState;

  async function send(p: Pair, bytes: number): Promise<void> {
    const before = p.server.bytesRead;
    p.client.write('x'.repeat(bytes));
    while (p.server.bytesRead < before + bytes) await new Promise((r) => setImmediate(r));
  }

  function tick(ms: number): void {
    t += ms;
    mock.timers.tick(ms);
  }

  test('a body with no bytes is late once body_timeout has passed, and is then no longer watched', async () => {
    const deadlines = watchBodyDeadlines(
      (s) => late.push(s),
      () => t,
    );
    const s = state((await pair()).req);
    deadlines.watch(s);
    tick(1000);
    tick(1000);
    assert.deepEqual(late, [], 'at exactly body_timeout it still has time');
    tick(1000);
    assert.deepEqual(late, [s]);
    assert.equal(deadlines.size, 0);
    tick(5000);
    assert.equal(late.length, 1, 'reported once');
    deadlines.close();
  });

  test('every body_min_rate bytes received give it one more second', async () => {
    const deadlines = watchBodyDeadlines(
      (s) => late.push(s),
      () => t,
    );
    const p = await pair();
    deadlines.watch(state(p.req));
    await send(p, 1000); // two more seconds: 4 s in all
    tick(1000);
    tick(1000);
    tick(1000);
    tick(1000);
    assert.deepEqual(late, [], 'within 2 s + 1000 / 500 s');
    tick(1000);
    assert.equal(late.length, 1);
    deadlines.close();
  });

  test('time while the socket is paused (the gateway not reading) does not count', async () => {
    const deadlines = watchBodyDeadlines(
      (s) => late.push(s),
      () => t,
    );
    const p = await pair();
    deadlines.watch(state(p.req));
    tick(1000);
    p.server.pause();
    for (let i = 0; i < 10; i++) tick(1000);
    assert.deepEqual(late, [], 'ten paused seconds are not the client’s');
    p.server.resume();
    tick(1000);
    assert.deepEqual(late, [], 'two unpaused seconds: at the deadline, not past it');
    tick(1000);
    assert.equal(late.length, 1, 'the third unpaused second is past it');
    deadlines.close();
  });

  test('a complete body, or a closed connection, leaves the watch without being late', async () => {
    const deadlines = watchBodyDeadlines(
      (s) => late.push(s),
      () => t,
    );
    const done = await pair();
    const gone = await pair();
    deadlines.watch(state(done.req));
    deadlines.watch(state(gone.req));
    assert.equal(deadlines.size, 2);
    done.req.complete = true;
    gone.server.destroy();
    tick(1000);
    assert.equal(deadlines.size, 0);
    tick(10_000);
    assert.deepEqual(late, []);
    deadlines.close();
  });
});
