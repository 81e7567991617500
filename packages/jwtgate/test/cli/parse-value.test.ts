import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  algorithm,
  algorithms,
  claimPair,
  collect,
  duration,
  leeway,
  port,
  positiveWholeNumber,
  repeat,
  seconds,
  signingAlgorithm,
  wholeNumber,
} from '../../src/cli/parse-value.ts';

const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err) => err instanceof InvalidArgumentError && message.test(err.message));

describe('option value parsers', () => {
  test('port: 0-65535, whole numbers only', () => {
    assert.equal(port('0'), 0);
    assert.equal(port('8080'), 8080);
    assert.equal(port('65535'), 65535);
    for (const bad of ['-1', '65536', '80.5', 'http', '1e9'])
      invalid(() => port(bad), /expected a port number 0-65535/);
  });

  test('seconds, whole numbers, positive whole numbers, leeway', () => {
    assert.equal(seconds('60'), 60);
    invalid(() => seconds('0'), />= 1/);
    assert.equal(wholeNumber('0'), 0);
    invalid(() => wholeNumber('-3'), />= 0/);
    invalid(() => wholeNumber('2.5'), />= 0/);
    assert.equal(positiveWholeNumber('4'), 4);
    invalid(() => positiveWholeNumber('0'), />= 1/);
    assert.equal(leeway('300'), 300);
    invalid(() => leeway('301'), /0-300/);
  });

  test('duration: s, m, h, d or plain seconds', () => {
    assert.equal(duration('45'), 45);
    assert.equal(duration('45s'), 45);
    assert.equal(duration('90m'), 5400);
    assert.equal(duration('12h'), 43_200);
    assert.equal(duration('30d'), 2_592_000);
    invalid(() => duration('0'), /at least one second/);
    invalid(() => duration('5w'), /such as 30d/);
  });

  test('claimPair: JSON when it parses, else a string; repeatable', () => {
    assert.deepEqual(claimPair('n=1', claimPair('s=text')), { s: 'text', n: 1 });
    assert.deepEqual(claimPair('a=[1,"x"]'), { a: [1, 'x'] });
    assert.deepEqual(claimPair('url=https://x/?a=b'), { url: 'https://x/?a=b' });
    invalid(() => claimPair('=x'), /name=value/);
    invalid(() => claimPair('novalue'), /name=value/);
  });

  test('collect splits commas; repeat keeps each value whole', () => {
    assert.deepEqual(collect('b,c', collect('a')), ['a', 'b', 'c']);
    assert.deepEqual(collect('a,,b'), ['a', 'b']);
    assert.deepEqual(repeat('web=b,c', repeat('api=a')), ['api=a', 'web=b,c']);
  });

  test('algorithms: only the supported ones; none never', () => {
    assert.equal(algorithm('RS256'), 'RS256');
    assert.deepEqual(algorithms('ES256,EdDSA', algorithms('HS256')), ['HS256', 'ES256', 'EdDSA']);
    invalid(() => algorithm('none'), /expected one of/);
    assert.equal(signingAlgorithm('EdDSA'), 'EdDSA');
    invalid(() => signingAlgorithm('HS256'), /expected one of ES256, RS256, PS256, EdDSA/);
  });
});
