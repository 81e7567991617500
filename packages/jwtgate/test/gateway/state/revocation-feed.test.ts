import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import pino from 'pino';
import {
  type FeedSubscription,
  subscribeRevocationFeed,
} from '../../../src/gateway/state/revocation-feed.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';

const EXP = Math.floor(Date.now() / 1000) + 300;
const log = pino({ level: 'silent' });
const event = (seq: number, jti: string, exp = EXP) =>
  `id: ${seq}\nevent: revocation\ndata: ${JSON.stringify({ seq, jti, exp })}\n\n`;

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('subscribeRevocationFeed', () => {
  let close: (() => Promise<void>) | undefined;
  let sub: FeedSubscription | undefined;
  afterEach(async () => {
    sub?.close();
    await close?.();
  });

  async function feedServer(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
    let n = 0;
    const server = createServer((req, res) => handler(req, res, n++));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/revocations/stream`;
  }

  test('adds each revoked jti to the list; resumes after a drop with ?since and Last-Event-ID', async () => {
    const seen: { url: string | undefined; lastEventId: string | undefined }[] = [];
    const url = await feedServer((req, res, n) => {
      seen.push({ url: req.url, lastEventId: req.headers['last-event-id'] as string | undefined });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (n === 0) {
        // Events split across writes, CRLF line ends, a comment, an unknown event and a broken one.
        const text = `: hello\r\n\r\n${event(1, 'a').replace(/\n/g, '\r\n')}event: other\ndata: {}\n\nevent: revocation\ndata: {nope\n\n`;
        res.write(text.slice(0, 17));
        setTimeout(() => {
          res.write(text.slice(17) + event(2, 'b'));
          setTimeout(() => res.end(), 50);
        }, 20);
      } else {
        res.write(event(3, 'c'));
      }
    });
    const revocations = new RevocationList();
    sub = subscribeRevocationFeed({ url, revocations, log, minBackoffMs: 10 });
    await until(() => revocations.list().some((r) => r.jti === 'c'));
    assert.deepEqual(
      revocations
        .list()
        .map((r) => r.jti)
        .sort(),
      ['a', 'b', 'c'],
    );
    assert.equal(sub.cursor, 3);
    assert.deepEqual(seen[0], { url: '/revocations/stream', lastEventId: undefined });
    assert.deepEqual(seen[1], { url: '/revocations/stream?since=2', lastEventId: '2' });
    assert.equal(sub.connected, true);
  });

  test('an unreachable feed is retried with backoff; close() stops it', async () => {
    let attempts = 0;
    const url = await feedServer((_req, res) => {
      attempts++;
      res.writeHead(503).end();
    });
    const revocations = new RevocationList();
    sub = subscribeRevocationFeed({ url, revocations, log, minBackoffMs: 10, maxBackoffMs: 40 });
    await until(() => attempts >= 3);
    assert.equal(sub.connected, false);
    sub.close();
    const after = attempts;
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(attempts <= after + 1);
  });

  test('a silent stream is presumed dead and reopened', async () => {
    let opened = 0;
    const url = await feedServer((_req, res) => {
      opened++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
    });
    sub = subscribeRevocationFeed({
      url,
      revocations: new RevocationList(),
      log,
      minBackoffMs: 10,
      idleTimeoutMs: 100,
    });
    await until(() => opened >= 2);
  });
});
