// End to end: the issuer's revocation feed (JSON pages and Server-Sent Events with resume) and a
// gateway that follows it, denying a revoked token within a second of its revocation.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createGateway, type Gateway } from '../../src/gateway/create-gateway.ts';
import {
  AUDIENCE,
  decodePart,
  freePort,
  getToken,
  postForm,
  registerClient,
  runCli,
  silent,
  sleep,
  startTestIssuer,
  type TestIssuer,
  tempDir,
} from '../issuer/helpers.ts';

interface FeedEvent {
  id: string;
  data: { seq: number; jti: string; exp: number };
  at: number;
}

/** Opens the SSE stream and collects `revocation` events as they arrive. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: FeedEvent[] = [];
  const waiters: (() => void)[] = [];
  let live = false;
  void (async () => {
    let buffer = '';
    try {
      for await (const chunk of res.body as ReadableStream<Uint8Array>) {
        buffer += Buffer.from(chunk).toString('utf8');
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block === ': live') live = true;
          const fields: Record<string, string> = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
          );
          if (fields.event === 'revocation')
            events.push({
              id: fields.id ?? '',
              data: JSON.parse(fields.data ?? '{}'),
              at: performance.now(),
            });
          for (const w of waiters.splice(0)) w();
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  const until = async (check: () => boolean, ms = 3000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the feed');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  await until(() => live);
  return { events, until, close: () => controller.abort() };
}

describe('revocation feed', () => {
  let t: TestIssuer;
  let secret: string;

  before(async () => {
    t = await startTestIssuer();
    secret = (await registerClient(t.store, { id: 'feed-client' })) as string;
  });
  after(() => t.close());

  test('a token revoked at the revocation endpoint reaches a stream subscriber in under a second', async (ctx) => {
    const stream = await openStream(`${t.url}/revocations/stream`);
    try {
      const token = await getToken(t.url, 'feed-client', secret);
      const { jti } = decodePart(token, 1);
      const started = performance.now();
      const r = await postForm(
        `${t.url}/token/revocation`,
        { token },
        { id: 'feed-client', secret, method: 'basic' },
      );
      assert.equal(r.status, 200);
      await stream.until(() => stream.events.some((e) => e.data.jti === jti));
      const event = stream.events.find((e) => e.data.jti === jti) as FeedEvent;
      const latency = event.at - started;
      ctx.diagnostic(`revocation endpoint -> SSE event: ${latency.toFixed(1)} ms`);
      assert.ok(latency < 1000, `delivered after ${latency.toFixed(1)} ms`);
      assert.equal(event.id, String(event.data.seq));
    } finally {
      stream.close();
    }
  });

  test('a revocation by another process (jwtgate tokens revoke) arrives in under a second', async (ctx) => {
    const stream = await openStream(`${t.url}/revocations/stream`);
    try {
      const r = await runCli(['tokens', 'revoke', 'cli-revoked-jti', `--store=${t.file}`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const done = performance.now();
      await stream.until(() => stream.events.some((e) => e.data.jti === 'cli-revoked-jti'));
      const event = stream.events.find((e) => e.data.jti === 'cli-revoked-jti') as FeedEvent;
      // The issuer reads the store every 250 ms.
      ctx.diagnostic(`CLI exit -> SSE event: ${(event.at - done).toFixed(1)} ms`);
      assert.ok(event.at - done < 1000, `delivered ${(event.at - done).toFixed(1)} ms after the CLI exited`);
    } finally {
      stream.close();
    }
  });

  test('streams replay what is still listed and resume after Last-Event-ID or ?since', async () => {
    for (const jti of ['r1', 'r2', 'r3']) await runCli(['tokens', 'revoke', jti, `--store=${t.file}`]);
    const all = await openStream(`${t.url}/revocations/stream`);
    await all.until(() => all.events.some((e) => e.data.jti === 'r3'));
    all.close();
    const r1 = all.events.find((e) => e.data.jti === 'r1') as FeedEvent;
    const seqs = all.events.map((e) => e.data.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );

    for (const resume of [{ 'last-event-id': r1.id }, {}] as Record<string, string>[]) {
      const url = `${t.url}/revocations/stream${'last-event-id' in resume ? '' : `?since=${r1.id}`}`;
      const s = await openStream(url, resume);
      await s.until(() => s.events.some((e) => e.data.jti === 'r3'));
      s.close();
      assert.ok(s.events.every((e) => e.data.seq > r1.data.seq));
      assert.deepEqual(
        s.events.filter((e) => ['r1', 'r2', 'r3'].includes(e.data.jti)).map((e) => e.data.jti),
        ['r2', 'r3'],
      );
    }
  });

  test('GET /revocations pages with a cursor', async () => {
    const first = (await (await fetch(`${t.url}/revocations?since=0&limit=2`)).json()) as {
      revocations: { seq: number; jti: string }[];
      next: number;
      more: boolean;
    };
    assert.equal(first.revocations.length, 2);
    assert.equal(first.more, true);
    assert.equal(first.next, first.revocations[1]?.seq);
    const rest = (await (await fetch(`${t.url}/revocations?since=${first.next}`)).json()) as typeof first;
    assert.ok(rest.revocations.every((e) => e.seq > first.next));
    const end = (await (await fetch(`${t.url}/revocations?since=${rest.next}`)).json()) as typeof first;
    assert.deepEqual(end, { revocations: [], next: rest.next, more: false });
  });
});

describe('a gateway following the feed', () => {
  let t: TestIssuer;
  let gateway: Gateway;
  let gatewayUrl: string;
  let secret: string;
  const tmp = tempDir('jwtgate-gw-');
  const upstream = createServer((_req, res) => res.end('Super Secret Information'));

  before(async () => {
    t = await startTestIssuer();
    secret = (await registerClient(t.store, { id: 'gw-client' })) as string;
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const gwPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gwPort}`;
    const file = join(tmp.dir, 'jwtgate.yaml');
    writeFileSync(
      file,
      [
        'gateway:',
        `  listen: 127.0.0.1:${gwPort}`,
        '  revocation:',
        `    feed: ${t.url}`,
        '  providers:',
        '    issuer:',
        `      issuer: ${t.url}`,
        `      audiences: [${AUDIENCE}]`,
        '      algorithms: [ES256]',
        '      token_types: [at+jwt]',
        '  routes:',
        '    - name: billing',
        '      match: { path: /billing/** }',
        '      requires: { provider: issuer }',
        `      upstream: http://127.0.0.1:${(upstream.address() as { port: number }).port}`,
        '',
      ].join('\n'),
    );
    gateway = createGateway({ configFile: file, logger: silent, admin: false });
    await gateway.start();
  });

  after(async () => {
    await gateway.close(100);
    await new Promise((r) => upstream.close(r));
    await t.close();
    tmp.remove();
  });

  test('denies a token within a second of its revocation at the issuer', async (ctx) => {
    const token = await getToken(t.url, 'gw-client', secret);
    const call = () =>
      fetch(`${gatewayUrl}/billing/invoices`, { headers: { authorization: `Bearer ${token}` } });
    const ok = await call();
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'Super Secret Information');
    // The gateway caches verified tokens: a revocation must reach past the cache.
    assert.equal((await call()).status, 200);

    const started = performance.now();
    const r = await postForm(
      `${t.url}/token/revocation`,
      { token },
      { id: 'gw-client', secret, method: 'basic' },
    );
    assert.equal(r.status, 200);
    let denied: Response | undefined;
    while (performance.now() - started < 3000) {
      const res = await call();
      if (res.status !== 200) {
        denied = res;
        break;
      }
      await res.arrayBuffer();
      await sleep(10);
    }
    const elapsed = performance.now() - started;
    assert.ok(denied, 'the token was never denied');
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { error: string }).error, 'ERR_TOKEN_REVOKED');
    ctx.diagnostic(`revocation at the issuer -> gateway 401: ${elapsed.toFixed(1)} ms`);
    assert.ok(elapsed < 1000, `denied after ${elapsed.toFixed(1)} ms`);
    // Other tokens of the same client still pass.
    const other = await getToken(t.url, 'gw-client', secret);
    assert.equal(
      (await fetch(`${gatewayUrl}/billing/x`, { headers: { authorization: `Bearer ${other}` } })).status,
      200,
    );
  });
});
