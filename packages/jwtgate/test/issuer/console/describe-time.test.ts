import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeClaimTime, describeSpan, relativeToNow } from '../../../src/issuer/console/describe-time.ts';

const NOW = 1_800_000_000_000;

test('spans in one rounded unit', () => {
  assert.equal(describeSpan(12_000), '12 s');
  assert.equal(describeSpan(-240_000), '4 min');
  assert.equal(describeSpan(2 * 3600_000), '2 h');
  assert.equal(describeSpan(3 * 86400_000), '3 d');
});

test('token times in words', () => {
  assert.equal(describeClaimTime('exp', NOW / 1000 + 240, NOW), 'expires in 4 min');
  assert.equal(describeClaimTime('exp', NOW / 1000 - 7200, NOW), 'expired 2 h ago');
  assert.equal(describeClaimTime('iat', NOW / 1000 - 180, NOW), 'issued 3 min ago');
  assert.equal(describeClaimTime('nbf', NOW / 1000 + 60, NOW), 'not valid for another 1 min');
  assert.equal(describeClaimTime('exp', 'soon', NOW), null);
  assert.equal(describeClaimTime('exp', 1e300, NOW), null);
  assert.equal(relativeToNow(NOW + 300, NOW), 'now');
  assert.equal(relativeToNow(NOW - 90_000, NOW), '2 min ago');
});
