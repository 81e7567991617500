import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/gateway/errors.ts';
import { classifyUpstreamError, isConnectFailure } from '../../../src/gateway/pipeline/forward.ts';

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
