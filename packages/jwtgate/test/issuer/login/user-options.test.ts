import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ISSUER_DEFAULTS, resolveIssuerOptions } from '../../../src/issuer/issuer-options.ts';

describe('issuer options of the user flows', () => {
  test('defaults: 5 failures lock 15 minutes; refresh families live 30 days; 10 s grace; public idle 1 day', () => {
    const o = resolveIssuerOptions({});
    assert.deepEqual(o.login, ISSUER_DEFAULTS.login);
    assert.deepEqual(o.login.lockout, { maxFailures: 5, lockMs: 15 * 60_000 });
    assert.deepEqual(o.refreshTokens, {
      absoluteLifetimeSeconds: 30 * 86400,
      graceSeconds: 10,
      publicIdleLifetimeSeconds: 86400,
    });
    // One refresh option given leaves the others at their defaults.
    assert.equal(
      resolveIssuerOptions({ refreshTokens: { graceSeconds: 0 } }).refreshTokens.publicIdleLifetimeSeconds,
      86400,
    );
  });

  test('validation names the option', () => {
    const bad: [Parameters<typeof resolveIssuerOptions>[0], RegExp][] = [
      [{ login: { lockout: { maxFailures: 0, lockMs: 60_000 }, perAddress: null } }, /login lock-out/],
      [{ login: { lockout: { maxFailures: 2.5, lockMs: 60_000 }, perAddress: null } }, /login lock-out/],
      [{ login: { lockout: { maxFailures: 5, lockMs: 10 }, perAddress: null } }, /lock-out duration/],
      [{ login: { lockout: null, perAddress: { rate: 0, burst: 5 } } }, /login attempts per address/],
      [{ refreshTokens: { absoluteLifetimeSeconds: 10, graceSeconds: 0 } }, /absolute lifetime/],
      [
        { refreshTokens: { absoluteLifetimeSeconds: 100, graceSeconds: 0 }, tokenLifetimeSeconds: 300 },
        /shorter than the access token/,
      ],
      [{ refreshTokens: { absoluteLifetimeSeconds: 86400, graceSeconds: -1 } }, /grace/],
      [{ refreshTokens: { absoluteLifetimeSeconds: 86400, graceSeconds: 301 } }, /grace/],
      [{ refreshTokens: { publicIdleLifetimeSeconds: 59 } }, /idle lifetime/],
    ];
    for (const [given, message] of bad) assert.throws(() => resolveIssuerOptions(given), message);
    assert.equal(resolveIssuerOptions({ login: { lockout: null, perAddress: null } }).login.lockout, null);
  });
});
