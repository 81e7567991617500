import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { parseCursor, RevocationFeed } from '../../../src/issuer/revocation/revocation-feed.ts';
import type { Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

const NOW = 1_800_000_000_000;
const EXP = NOW / 1000 + 300;

describe('RevocationFeed', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let feed: RevocationFeed;
  let server: Server | undefined;
  let now: number;

  const make = (maxSubscribers = 10) => {
    feed = new RevocationFeed({
      store,
      pollMs: 20,
      heartbeatMs: 60_000,
      maxSubscribers,
      now: () => now,
      onError: (err) => {
        throw err;
      },
    });
    return feed;
  };

  /** Serves the stream on 127.0.0.1 and returns a reader of raw SSE text. */
  async function serve(): Promise<string> {
    server = createServer((req, res) => {
      const since = parseCursor(new URL(req.url ?? '/', 'http://x').searchParams.get('since'));
      void feed.stream(req, res, since);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  async function read(url: string, until: (text: string) => boolean): Promise<string> {
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    let text = '';
    const deadline = Date.now() + 3000;
    for await (const chunk of res.body as ReadableStream<Uint8Array>) {
      text += Buffer.from(chunk).toString();
      if (until(text) || Date.now() > deadline) break;
    }
    controller.abort();
    return text;
  }

  beforeEach(async () => {
    tmp = tempDir();
    now = NOW;
    store = await openTempStore(join(tmp.dir, 'feed.db'), () => now);
  });
  afterEach(async () => {
    await feed?.close();
    if (server) await new Promise((r) => server?.close(r));
    server = undefined;
    await store.close();
    tmp.remove();
  });

  test('parseCursor: non-negative integers, anything else is 0', () => {
    assert.equal(parseCursor('42'), 42);
    for (const bad of [null, undefined, '', '-1', '1.5', 'abc', '1e3', '9'.repeat(20)])
      assert.equal(parseCursor(bad), 0);
  });

  test('list pages after a cursor and leaves expired entries out', async () => {
    make();
    await store.revocations.add('a', EXP);
    await store.revocations.add('expired', NOW / 1000 - 1);
    const c = await store.revocations.add('c', EXP);
    const page = await feed.list(0, 10);
    assert.deepEqual(
      page.revocations.map((e) => e.jti),
      ['a', 'c'],
    );
    assert.equal(page.next, c.seq);
    assert.equal(page.more, false);
    const first = await feed.list(0, 1);
    assert.equal(first.more, true);
    assert.deepEqual(await feed.list(c.seq), { revocations: [], next: c.seq, more: false });
  });

  test('a stream replays after its cursor, then delivers new entries as SSE with id = seq', async () => {
    make();
    await feed.start();
    const a = await store.revocations.add('a', EXP);
    await store.revocations.add('b', EXP);
    const url = await serve();
    const text = await read(`${url}/?since=${a.seq}`, (t) => t.includes(': live'));
    assert.match(text, /^retry: 1000\n\n/);
    assert.doesNotMatch(text, /"jti":"a"/);
    assert.match(text, /id: \d+\nevent: revocation\ndata: \{"seq":\d+,"jti":"b","exp":\d+\}\n\n/);

    const live = read(`${url}/`, (t) => t.includes('"jti":"late"'));
    await new Promise((r) => setTimeout(r, 50));
    await store.revocations.add('late', EXP);
    feed.notify();
    const all = await live;
    const jtis = [...all.matchAll(/"jti":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(jtis, ['a', 'b', 'late']);
  });

  test('too many subscribers: 503', async () => {
    make(0);
    await feed.start();
    const url = await serve();
    const res = await fetch(url);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
  });

  test('one address cannot take every slot: 16 streams per address, then 503', async () => {
    make(1000);
    await feed.start();
    const url = await serve();
    const open: AbortController[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        const c = new AbortController();
        open.push(c);
        assert.equal((await fetch(url, { signal: c.signal })).status, 200);
      }
      const res = await fetch(url);
      assert.equal(res.status, 503);
    } finally {
      for (const c of open) c.abort();
    }
  });
});
