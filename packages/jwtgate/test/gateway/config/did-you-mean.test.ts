import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closestKey } from '../../../src/gateway/config/did-you-mean.ts';

describe('closestKey', () => {
  const route = ['name', 'match', 'public', 'requires', 'upstream', 'strip_prefix', 'timeout'];

  test('a letter off, missing, doubled or swapped finds the key', () => {
    assert.equal(closestKey('pubic', route), 'public');
    assert.equal(closestKey('upstreams', route), 'upstream');
    assert.equal(closestKey('reqiures', route), 'requires');
    assert.equal(closestKey('audience', ['audiences', 'audience_mode']), 'audiences');
  });

  test('a dash for an underscore, or another case, is the same key', () => {
    assert.equal(closestKey('strip-prefix', route), 'strip_prefix');
    assert.equal(closestKey('Timeout', route), 'timeout');
  });

  test('nothing close gives no suggestion', () => {
    assert.equal(closestKey('colour', route), undefined);
    assert.equal(closestKey('x', ['listen', 'routes']), undefined);
    assert.equal(closestKey('anything', []), undefined);
  });
});
