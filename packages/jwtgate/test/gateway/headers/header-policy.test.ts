import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import {
  copyRequestHeaders,
  copyResponseHeaders,
  withoutCookies,
} from '../../../src/gateway/headers/header-policy.ts';

const HOP_BY_HOP: IncomingHttpHeaders = {
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  'proxy-authenticate': 'Basic',
  'proxy-authorization': 'Basic Zm9vOmJhcg==',
  'proxy-connection': 'keep-alive',
  te: 'trailers',
  trailer: 'Expires',
  'transfer-encoding': 'chunked',
  upgrade: 'websocket',
  'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
};

const keepAll = () => false;

describe('copyRequestHeaders', () => {
  test('end-to-end headers are copied, hop-by-hop ones and host are dropped', () => {
    const out = copyRequestHeaders(
      { ...HOP_BY_HOP, host: 'gateway.example', accept: 'application/json', 'content-type': 'text/plain' },
      keepAll,
    );
    assert.deepEqual(out, { accept: 'application/json', 'content-type': 'text/plain' });
  });

  test('headers named in Connection are dropped', () => {
    const out = copyRequestHeaders(
      { connection: 'close, X-Hop-One ,x-hop-two', 'x-hop-one': '1', 'x-hop-two': '2', 'x-keep': '3' },
      keepAll,
    );
    assert.deepEqual(out, { 'x-keep': '3' });
  });

  test('the usual Connection values (any case) drop only hop-by-hop fields; a short field name is still honoured', () => {
    for (const connection of ['keep-alive', 'Keep-Alive', 'close', 'CLOSE'])
      assert.deepEqual(
        copyResponseHeaders({ connection, 'keep-alive': 'timeout=5', 'x-keep': '1', close: 'x' }),
        { 'x-keep': '1', ...(connection.toLowerCase() === 'close' ? {} : { close: 'x' }) },
        connection,
      );
    assert.deepEqual(copyResponseHeaders({ connection: 'x-a', 'x-a': '1', 'x-b': '2' }), { 'x-b': '2' });
  });

  test('a Connection header given as a list is honoured', () => {
    const headers = {
      connection: ['x-a', 'x-b'],
      'x-a': '1',
      'x-b': '2',
      'x-c': '3',
    } as unknown as IncomingHttpHeaders;
    assert.deepEqual(copyRequestHeaders(headers, keepAll), { 'x-c': '3' });
  });

  test('the drop predicate removes what it names, and sees every remaining name', () => {
    const seen: string[] = [];
    const out = copyRequestHeaders(
      { authorization: 'Bearer t', token: 't', 'x-jwtgate-user': 'spoof', accept: '*/*', host: 'h' },
      (name) => {
        seen.push(name);
        return name === 'authorization' || name === 'token' || name.startsWith('x-jwtgate-');
      },
    );
    assert.deepEqual(out, { accept: '*/*' });
    assert.ok(!seen.includes('host'), 'hop-by-hop names are dropped before asking');
    assert.ok(seen.includes('authorization') && seen.includes('x-jwtgate-user'));
  });

  test('list values are kept as lists and undefined values are skipped', () => {
    const out = copyRequestHeaders(
      { 'x-multi': ['a', 'b'] as unknown as string, 'x-none': undefined },
      keepAll,
    );
    assert.deepEqual(out, { 'x-multi': ['a', 'b'] });
  });

  test('the input is not modified', () => {
    const headers: IncomingHttpHeaders = { host: 'h', connection: 'x-a', 'x-a': '1' };
    copyRequestHeaders(headers, keepAll);
    assert.deepEqual(headers, { host: 'h', connection: 'x-a', 'x-a': '1' });
  });
});

describe('copyResponseHeaders', () => {
  test('hop-by-hop response headers are dropped, the rest kept (set-cookie as a list)', () => {
    const out = copyResponseHeaders({
      ...HOP_BY_HOP,
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'cache-control': 'no-store',
    });
    assert.deepEqual(out, {
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'cache-control': 'no-store',
    });
  });

  test('headers named in the upstream Connection header are dropped', () => {
    const out = copyResponseHeaders({
      connection: 'X-Internal-Trace',
      'x-internal-trace': 'abc',
      etag: '"1"',
    });
    assert.deepEqual(out, { etag: '"1"' });
  });
});

describe('withoutCookies', () => {
  test('removes only the named cookies and keeps the rest in order', () => {
    assert.equal(withoutCookies('a=1; jwt=eyJ.x.y; b=2', new Set(['jwt'])), 'a=1; b=2');
    assert.equal(withoutCookies('jwt=eyJ.x.y', new Set(['jwt'])), '');
    assert.equal(withoutCookies('jwtx=1;jwt=2', new Set(['jwt'])), 'jwtx=1');
  });
});
