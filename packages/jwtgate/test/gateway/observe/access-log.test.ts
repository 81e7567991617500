import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import {
  accessLogThrough,
  createBatchedAccessLog,
  hundredths,
} from '../../../src/gateway/observe/access-log.ts';

const entry = {
  request_id: 'req-1',
  method: 'GET',
  path: '/billing/"quoted"\\path',
  route: 'billing',
  status: 200,
  reason: 'OK',
  sub: 'user\u2028one',
  latency_ms: 1.25,
  upgrade: undefined,
} as const;

function pinoLine(e: object): string {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk;
      done();
    },
  });
  const log = pino({ name: 'jwtgate-gateway', timestamp: () => ',"time":1234' }, sink);
  log.info(e);
  return out;
}

describe('createBatchedAccessLog', () => {
  test('writes the line pino would, field for field and in the same order', () => {
    const chunks: string[] = [];
    const log = createBatchedAccessLog({
      name: 'jwtgate-gateway',
      write: (c) => chunks.push(c),
      now: () => 1234,
    });
    log.write(entry);
    assert.equal(chunks.length, 0, 'buffered until the batch is full or flushed');
    log.flush();
    assert.equal(chunks.join(''), pinoLine(entry));
    log.write({
      ...entry,
      method: undefined,
      sub: undefined,
      upgrade: true,
      status: 499,
      reason: 'CLIENT_CLOSED',
    });
    log.flush();
    const second = chunks[1] as string;
    assert.equal(
      second,
      pinoLine({
        ...entry,
        method: undefined,
        sub: undefined,
        upgrade: true,
        status: 499,
        reason: 'CLIENT_CLOSED',
      }),
    );
    assert.ok(!second.includes('"sub"') && !second.includes('"method"'), 'undefined fields are left out');
  });

  test('any text in any field (quotes, backslashes, controls, non-ASCII) is the line pino writes', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom('', '"', '\\', '\u0000'),
    );
    fc.assert(
      fc.property(
        text,
        text,
        text,
        text,
        text,
        fc.oneof(text, fc.integer()),
        (id, method, path, route, reason, sub) => {
          const chunks: string[] = [];
          const log = createBatchedAccessLog({
            name: 'jwtgate-gateway',
            write: (c) => chunks.push(c),
            now: () => 1234,
          });
          const e = { ...entry, request_id: id, method, path, route, reason, sub };
          log.write(e);
          log.flush();
          assert.equal(chunks.join(''), pinoLine(e));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a lone surrogate is escaped (pino writes it raw, which UTF-8 turns into U+FFFD): the line parses back to it', () => {
    const chunks: string[] = [];
    const log = createBatchedAccessLog({
      name: 'jwtgate-gateway',
      write: (c) => chunks.push(c),
      now: () => 1234,
    });
    log.write({ ...entry, path: '/a\ud800b' });
    log.flush();
    assert.ok(chunks.join('').includes('"path":"/a\\ud800b"'));
    assert.equal(JSON.parse(chunks.join('')).path, '/a\ud800b');
  });

  test('a latency rounded to hundredths is written as JSON writes the number', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (ms) => {
        const rounded = Math.round(ms * 100) / 100;
        assert.equal(hundredths(rounded), JSON.stringify(rounded));
      }),
      { numRuns: 20_000 },
    );
    for (const ms of [0, 0.01, 0.1, 1.05, 12.5, 12, 99.99, 1e7]) assert.equal(hundredths(ms), String(ms));
  });

  test('batches stay under 4000 characters, whole lines only, and nothing is lost', () => {
    const chunks: string[] = [];
    const log = createBatchedAccessLog({ name: 'jwtgate-gateway', write: (c) => chunks.push(c) });
    for (let i = 0; i < 500; i++) log.write({ ...entry, request_id: `r-${i}` });
    log.flush();
    assert.ok(chunks.length > 10, `${chunks.length} writes for 500 lines`);
    for (const c of chunks) {
      assert.ok(c.length <= 4000, `a batch of ${c.length}`);
      assert.ok(c.endsWith('\n'));
    }
    const ids = chunks
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).request_id);
    assert.deepEqual(
      ids,
      Array.from({ length: 500 }, (_, i) => `r-${i}`),
    );
  });

  test('a batch is written within about maxDelayMs when traffic is light', async () => {
    const chunks: string[] = [];
    const log = createBatchedAccessLog({ name: 'x', write: (c) => chunks.push(c), maxDelayMs: 40 });
    log.write(entry);
    const deadline = Date.now() + 2000;
    while (chunks.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(chunks.length, 1);
  });
});

describe('accessLogThrough', () => {
  test('logs the entry at info through the given logger', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    accessLogThrough(pino({ level: 'info' }, sink)).write(entry);
    assert.equal(JSON.parse(lines[0] as string).request_id, 'req-1');
    assert.equal(JSON.parse(lines[0] as string).level, 30);
  });
});
