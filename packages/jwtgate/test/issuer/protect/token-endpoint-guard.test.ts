import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenEndpointGuard } from '../../../src/issuer/protect/token-endpoint-guard.ts';

const T = 1_800_000_000_000;
const LOCKOUT = { maxFailures: 10, windowMs: 300_000, lockMs: 900_000 };

describe('TokenEndpointGuard', () => {
  test('10 failures within 5 minutes lock the client id at that address for 15 minutes', () => {
    const g = new TokenEndpointGuard({ perClient: null, perAddress: null, lockout: LOCKOUT });
    for (let i = 0; i < 9; i++) assert.equal(g.failed('svc', '10.0.0.1', T + i), false);
    assert.deepEqual(g.check('svc', '10.0.0.1', T + 100), { allowed: true });
    assert.equal(g.failed('svc', '10.0.0.1', T + 200), true);
    assert.deepEqual(g.check('svc', '10.0.0.1', T + 200), {
      allowed: false,
      reason: 'locked',
      retryAfterSeconds: 900,
    });
    // Only that pair.
    assert.deepEqual(g.check('svc', '10.0.0.2', T + 200), { allowed: true });
    assert.deepEqual(g.check('other', '10.0.0.1', T + 200), { allowed: true });
    assert.equal(g.check('svc', '10.0.0.1', T + 200 + 899_999).allowed, false);
    assert.deepEqual(g.check('svc', '10.0.0.1', T + 200 + 900_000), { allowed: true });
  });

  test('failures older than the window do not count; a success clears the count', () => {
    const g = new TokenEndpointGuard({ perClient: null, perAddress: null, lockout: LOCKOUT });
    for (let i = 0; i < 9; i++) g.failed('svc', 'a', T);
    assert.equal(g.failed('svc', 'a', T + 300_000), false, 'the first nine have left the window');
    for (let i = 0; i < 5; i++) g.failed('x', 'a', T);
    g.succeeded('x', 'a');
    for (let i = 0; i < 9; i++) assert.equal(g.failed('x', 'a', T), false);
  });

  test('requests without a client id are counted by address', () => {
    const g = new TokenEndpointGuard({
      perClient: null,
      perAddress: null,
      lockout: { ...LOCKOUT, maxFailures: 2 },
    });
    g.failed(undefined, 'a', T);
    assert.equal(g.failed(undefined, 'a', T), true);
    assert.equal(g.check(undefined, 'a', T).allowed, false);
  });

  test('token buckets per client and per address; a lock is reported before buckets are spent', () => {
    const g = new TokenEndpointGuard({
      perClient: { rate: 1, burst: 2 },
      perAddress: { rate: 10, burst: 3 },
      lockout: { ...LOCKOUT, maxFailures: 1 },
    });
    assert.equal(g.check('c', 'a', T).allowed, true);
    assert.equal(g.check('c', 'a', T).allowed, true);
    assert.deepEqual(g.check('c', 'a', T), { allowed: false, reason: 'rate-limited', retryAfterSeconds: 1 });
    // The address has one request left of its burst of 3 ... spent by that third call: another client waits too.
    assert.deepEqual(g.check('d', 'a', T), { allowed: false, reason: 'rate-limited', retryAfterSeconds: 1 });
    assert.equal(g.check('c', 'b', T + 1000).allowed, true);
    g.failed('e', 'z', T);
    assert.equal((g.check('e', 'z', T) as { reason: string }).reason, 'locked');
  });

  test('lock-out off: failures are not counted', () => {
    const g = new TokenEndpointGuard({ perClient: null, perAddress: null, lockout: null });
    for (let i = 0; i < 100; i++) assert.equal(g.failed('c', 'a', T), false);
    assert.equal(g.check('c', 'a', T).allowed, true);
  });
});

describe('TokenEndpointGuard: malformed requests', () => {
  test('a 400 before authentication gives the claimed client its token back: naming a client cannot exhaust it', () => {
    const g = new TokenEndpointGuard({ perClient: { rate: 1, burst: 2 }, perAddress: null, lockout: null });
    for (let i = 0; i < 50; i++) {
      assert.equal(g.check('victim', 'attacker', T).allowed, true);
      g.malformed('victim');
    }
    assert.equal(g.check('victim', 'real-client', T).allowed, true);
  });
});
