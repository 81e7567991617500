import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRateLimiter } from '../../src/lib/rate-limit.ts';

const T0 = 1_800_000_000_000;

describe('createRateLimiter', () => {
  test('a full burst passes at once, the next request waits', () => {
    const limiter = createRateLimiter(2, 3);
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.take('u', T0)),
      [0, 0, 0],
    );
    assert.equal(limiter.take('u', T0), 1);
  });

  test('tokens refill at the rate with the injected time', () => {
    const limiter = createRateLimiter(2, 3);
    for (let i = 0; i < 3; i++) limiter.take('u', T0);
    assert.ok(limiter.take('u', T0 + 100) > 0, '0.2 tokens are not enough');
    assert.equal(limiter.take('u', T0 + 500), 0, 'one token after 500 ms at 2/s');
    assert.ok(limiter.take('u', T0 + 500) > 0);
    assert.equal(limiter.take('u', T0 + 1000), 0);
  });

  test('refill stops at the burst size', () => {
    const limiter = createRateLimiter(10, 2);
    limiter.take('u', T0);
    limiter.take('u', T0);
    const later = T0 + 3_600_000;
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.take('u', later) === 0),
      [true, true, false],
    );
  });

  test('refused requests take nothing: waiting the given time is enough', () => {
    const limiter = createRateLimiter(1, 1);
    assert.equal(limiter.take('u', T0), 0);
    for (let i = 0; i < 5; i++) assert.equal(limiter.take('u', T0 + i * 100), 1);
    assert.equal(limiter.take('u', T0 + 1000), 0);
  });

  test('Retry-After is whole seconds until the next token, at least 1', () => {
    const slow = createRateLimiter(0.5, 1); // one request per 2 s
    assert.equal(slow.take('u', T0), 0);
    assert.equal(slow.take('u', T0), 2);
    assert.equal(slow.take('u', T0 + 1000), 1);
    const slower = createRateLimiter(0.1, 1); // one per 10 s
    slower.take('u', T0);
    assert.equal(slower.take('u', T0), 10);
    assert.equal(slower.take('u', T0 + 2500), 8);
    const fast = createRateLimiter(100, 1);
    fast.take('u', T0);
    assert.equal(fast.take('u', T0), 1, 'never 0 for a refusal, even when the wait is 10 ms');
  });

  test('keys are isolated', () => {
    const limiter = createRateLimiter(1, 2);
    limiter.take('alice', T0);
    limiter.take('alice', T0);
    assert.ok(limiter.take('alice', T0) > 0);
    assert.equal(limiter.take('bob', T0), 0);
    assert.equal(limiter.take('bob', T0), 0);
    assert.ok(limiter.take('bob', T0) > 0);
    assert.equal(limiter.take('', T0), 0, 'the empty key is a key of its own');
  });

  test('a new key starts with a full burst whatever the time', () => {
    const limiter = createRateLimiter(1, 4);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => limiter.take('late', T0 + 10_000) === 0),
      [true, true, true, true, false],
    );
  });

  test('a clock stepping back does not lock a key out', () => {
    const limiter = createRateLimiter(1, 1);
    assert.equal(limiter.take('u', T0), 0);
    assert.equal(limiter.take('u', T0 - 3_600_000), 1, 'one token per second, not an hour');
    assert.equal(limiter.take('u', T0 - 3_600_000 + 1000), 0);
  });
});
