// HTTP/2 abuse against a TLS gateway (in process, on a real port), each while another client is
// being served: many streams opened and cancelled (rapid reset), a header block continued without
// end, header blocks too large or that decompress too large, a client that never reads, and more
// streams than the connection allows. node:http2's client is used where it can make the attack;
// the rest is written as raw frames (helpers/h2-frames.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type ClientHttp2Session, constants, connect as h2connect } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../../../src/gateway/create-gateway.ts';
import { sleep, startUpstream, type Upstream } from '../../e2e/harness.ts';
import { makeCa, makeCert } from '../helpers/certs.ts';
import { tempDir } from '../helpers/config.ts';
import { FLAG, FRAME, frame, getRequest, indexed, literal, rawSession } from '../helpers/h2-frames.ts';

/** Polls `ok` every 20 ms for up to 5 s. */
async function waitUntil(ok: () => boolean, what = ok.toString()): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const log = pino({ level: process.env.H2_LOG ?? 'silent' });

describe('HTTP/2 abuse is held off, and other clients are served meanwhile', () => {
  const dir = tempDir('h2-abuse');
  const ca = makeCa(dir.dir);
  const caPem = readFileSync(ca.cert);
  const cert = makeCert(ca, 'gw', { dns: ['localhost'] });
  let upstream: Upstream;
  let gateway: Gateway;
  let port = 0;

  before(async () => {
    upstream = await startUpstream('abuse');
    const file = dir.write(
      'gw.yaml',
      stringify({
        gateway: {
          listen: '127.0.0.1:0',
          tls: { certificates: [{ cert: cert.cert, key: cert.key }] },
          limits: {
            idle_timeout: '2s',
            http2_max_resets: 50,
            http2_max_concurrent_streams: 5,
          },
          providers: {
            a: {
              issuer: 'https://a.test',
              secret: 'x'.repeat(40),
              algorithms: ['HS256'],
              audiences: ['api'],
            },
          },
          routes: [{ name: 'pub', match: { path: '/**' }, public: true, upstream: upstream.origin }],
        },
      }),
    );
    gateway = createGateway({ configFile: file, logger: log, port: 0 });
    ({ port } = await gateway.start());
  });

  after(async () => {
    await gateway.close(100);
    await upstream.close();
    dir.remove();
  });

  const connectClient = (): ClientHttp2Session =>
    h2connect(`https://localhost:${port}`, { ca: caPem }).on('error', () => {});

  /** One request on `session`: the status (0 when the stream failed). */
  const get = (session: ClientHttp2Session, path = '/ok') =>
    new Promise<number>((resolve) => {
      const req = session.request({ ':path': path });
      let status = 0;
      req.on('response', (h) => {
        status = Number(h[':status']);
      });
      req.resume();
      req.on('end', () => resolve(status));
      req.on('error', () => resolve(0));
      req.on('close', () => resolve(status));
    });

  /** A well-behaved client, on its own connection: every request answered 200. */
  async function bystander(requests = 5): Promise<number[]> {
    const session = connectClient();
    try {
      const out: number[] = [];
      for (let i = 0; i < requests; i++) out.push(await get(session));
      return out;
    } finally {
      session.close();
    }
  }

  const limitCount = async (limit: string) => {
    const text = await gateway.metrics.registry.getSingleMetricAsString('jwtgate_limit_reached_total');
    const m = new RegExp(`limit="${limit}"\\} (\\d+)`).exec(text);
    return Number(m?.[1] ?? 0);
  };

  test('rapid reset: streams opened and cancelled at once get the connection a GOAWAY (ENHANCE_YOUR_CALM)', async () => {
    const before = await limitCount('http2_resets');
    // Raw frames: node:http2's client keeps to the server's concurrent-stream limit, and a stream
    // it cancels while waiting for a place never reaches the wire. The attack does not wait:
    // HEADERS then RST_STREAM right away, for up to 300 streams in batches of 20.
    const raw = await rawSession(port);
    const served = bystander();
    let id = 1;
    for (let batch = 0; batch < 15 && !raw.socket.destroyed; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 20; i++, id += 2) {
        frames.push(frame(FRAME.HEADERS, FLAG.END_STREAM | FLAG.END_HEADERS, id, getRequest('/hang')));
        frames.push(frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, constants.NGHTTP2_CANCEL])));
      }
      raw.write(Buffer.concat(frames));
      await sleep(10);
    }
    await Promise.race([raw.closed, sleep(5000)]);
    assert.equal(raw.goaway(), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    assert.ok(raw.socket.destroyed, 'the connection is closed');
    assert.ok(id < 601, 'closed before the attack ran out');
    assert.deepEqual(await served, [200, 200, 200, 200, 200]);
    assert.equal(await limitCount('http2_resets'), before + 1);
    assert.deepEqual(await bystander(1), [200]);
  });

  test('CONTINUATION frames without end: the connection is closed, long before the frames run out', async () => {
    const badBefore = await limitCount('http2_bad_frames');
    const raw = await rawSession(port);
    const served = bystander();
    raw.write(frame(FRAME.HEADERS, FLAG.END_STREAM, 1, getRequest('/ok')));
    // Up to 2000 CONTINUATION frames of 1 KiB (2 MiB), none with END_HEADERS.
    let sent = 0;
    for (; sent < 2000 && !raw.socket.destroyed; sent++) {
      const ok = raw.write(frame(FRAME.CONTINUATION, 0, 1, literal(`x-pad-${sent}`, 'p'.repeat(1000))));
      if (!ok) await Promise.race([new Promise((r) => raw.socket.once('drain', r)), raw.closed, sleep(500)]);
    }
    await Promise.race([raw.closed, sleep(5000)]);
    assert.ok(raw.socket.destroyed, 'the server closed the connection');
    // nghttp2 stops reading at its CONTINUATION limit (CVE-2024-27983) and closes; the GOAWAY it
    // writes may be lost to the reset of a socket the client is still writing to.
    assert.ok(sent < 2000, `closed after ${sent} frames, before they ran out`);
    assert.ok(
      !raw.frames.some((f) => f.type === FRAME.HEADERS),
      'no response was sent to an unfinished header block',
    );
    assert.deepEqual(await served, [200, 200, 200, 200, 200]);
    assert.equal(await limitCount('http2_bad_frames'), badBefore + 1);
  });

  test('a header block over the list size, plain or compressed (HPACK bomb), is refused', async () => {
    // Plain: 20 KiB of one header value, over http2_max_header_list_size (16 KiB).
    const client = connectClient();
    const big = await new Promise<{ status: number; code: number | undefined }>((resolve) => {
      const req = client.request({ ':path': '/ok', 'x-big': 'b'.repeat(20 * 1024) });
      let status = 0;
      req.on('response', (h) => {
        status = Number(h[':status']);
      });
      req.resume();
      req.on('error', () => {});
      req.on('close', () => resolve({ status, code: req.rstCode }));
    });
    assert.equal(big.status, 431);
    client.close();
    // Compressed: a 4000-byte value put into the HPACK table once, then referred to 1000 times
    // by one byte each: 1 KiB on the wire, 4 MB decoded.
    const raw = await rawSession(port);
    const served = bystander();
    raw.write(
      frame(
        FRAME.HEADERS,
        FLAG.END_STREAM | FLAG.END_HEADERS,
        1,
        Buffer.concat([getRequest('/ok'), literal('x-bomb', 'b'.repeat(4000), true)]),
      ),
    );
    raw.write(
      frame(
        FRAME.HEADERS,
        FLAG.END_STREAM | FLAG.END_HEADERS,
        3,
        Buffer.concat([getRequest('/ok'), ...Array.from({ length: 1000 }, () => indexed(62))]),
      ),
    );
    await Promise.race([raw.closed, sleep(1500)]);
    console.log(
      'bomb frames',
      raw.frames.map((f) => [f.type, f.streamId, f.flags]),
      'goaway',
      raw.goaway(),
      'resets',
      raw.resets(),
    );
    assert.deepEqual(await served, [200, 200, 200, 200, 200]);
    raw.socket.destroy();
  });

  test('more streams than http2_max_concurrent_streams: the extra ones are refused (REFUSED_STREAM)', async () => {
    const raw = await rawSession(port);
    const served = bystander();
    // Seven streams on /hang at once; five are allowed.
    for (let id = 1; id <= 13; id += 2)
      raw.write(frame(FRAME.HEADERS, FLAG.END_STREAM | FLAG.END_HEADERS, id, getRequest('/hang')));
    const hanging = upstream.hanging.open;
    await waitUntil(() => raw.resets().size === 2);
    assert.deepEqual(
      [...raw.resets()],
      [
        [11, constants.NGHTTP2_REFUSED_STREAM],
        [13, constants.NGHTTP2_REFUSED_STREAM],
      ],
    );
    assert.deepEqual(await served, [200, 200, 200, 200, 200]);
    // The five allowed streams reached the upstream; closing the connection cancels them there.
    await waitUntil(() => upstream.hanging.open >= hanging + 5);
    const closedBefore = upstream.hanging.closed;
    raw.socket.destroy();
    await waitUntil(
      () => upstream.hanging.closed >= closedBefore + 5,
      `closed ${upstream.hanging.closed} before ${closedBefore} open ${upstream.hanging.open}`,
    );
  });

  test('a client that never reads: flow control holds the download back, the idle timeout closes it', async () => {
    const session = h2connect(`https://localhost:${port}`, {
      ca: caPem,
      settings: { initialWindowSize: 65535 },
    });
    session.on('error', () => {});
    const closed = new Promise<void>((r) => session.once('close', () => r()));
    const req = session.request({ ':path': '/download' });
    req.on('error', () => {});
    req.pause();
    const started = Date.now();
    const served = bystander();
    await Promise.race([closed, sleep(8000)]);
    console.log(
      'never-read: closed after',
      Date.now() - started,
      'ms; upstream wrote',
      upstream.downloaded.bytes,
    );
    assert.ok(session.destroyed || session.closed, 'the idle connection was closed');
    assert.deepEqual(await served, [200, 200, 200, 200, 200]);
  });
});
