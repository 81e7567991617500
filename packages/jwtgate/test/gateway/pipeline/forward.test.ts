import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/gateway/errors.ts';
import {
  classifyUpstreamError,
  copyRequestHeaders,
  copyResponseHeaders,
  isConnectFailure,
  withoutCookies,
} from '../../../src/gateway/pipeline/forward.ts';

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

describe('classifyUpstreamError', () => {
  test('a GatewayError is kept as it is (our own body limit: 413)', () => {
    const ours = new GatewayError('ERR_BODY_TOO_LARGE');
    const out = classifyUpstreamError(ours);
    assert.equal(out, ours);
    assert.equal(out.status, 413);
  });

  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']) {
    test(`${code} is a 504 upstream timeout keeping the cause`, () => {
      const cause = Object.assign(new Error('timeout'), { code });
      const out = classifyUpstreamError(cause);
      assert.ok(out instanceof GatewayError);
      assert.equal(out.code, 'ERR_UPSTREAM_TIMEOUT');
      assert.equal(out.status, 504);
      assert.equal(out.cause, cause);
    });
  }

  for (const thrown of [
    Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' }),
    new Error('no code'),
    'a string',
    null,
    undefined,
  ]) {
    test(`${String((thrown as { code?: string })?.code ?? thrown)} is a 502 upstream unavailable`, () => {
      const out = classifyUpstreamError(thrown);
      assert.equal(out.code, 'ERR_UPSTREAM_UNAVAILABLE');
      assert.equal(out.status, 502);
      assert.equal(out.cause, thrown);
      assert.equal(out.message, 'The upstream service is unavailable');
    });
  }
});

describe('isConnectFailure', () => {
  test('connection refused, unreachable, unknown host and connect timeout take a target out', () => {
    for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT']) {
      assert.equal(isConnectFailure(Object.assign(new Error(code), { code })), true, code);
    }
  });

  test('failures after connecting do not', () => {
    for (const code of [
      'ECONNRESET',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'UND_ERR_SOCKET',
      'EPIPE',
    ]) {
      assert.equal(isConnectFailure(Object.assign(new Error(code), { code })), false, code);
    }
    assert.equal(isConnectFailure(new GatewayError('ERR_BODY_TOO_LARGE')), false);
    assert.equal(isConnectFailure(null), false);
    assert.equal(isConnectFailure(undefined), false);
    assert.equal(isConnectFailure('ECONNREFUSED'), false);
  });
});

describe('withoutCookies', () => {
  test('removes only the named cookies and keeps the rest in order', () => {
    assert.equal(withoutCookies('a=1; jwt=eyJ.x.y; b=2', new Set(['jwt'])), 'a=1; b=2');
    assert.equal(withoutCookies('jwt=eyJ.x.y', new Set(['jwt'])), '');
    assert.equal(withoutCookies('jwtx=1;jwt=2', new Set(['jwt'])), 'jwtx=1');
  });
});
