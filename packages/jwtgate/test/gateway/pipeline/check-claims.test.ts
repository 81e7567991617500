import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileClaimConditions } from '../../../src/gateway/pipeline/check-claims.ts';
import { compilePathPattern } from '../../../src/gateway/routes/path-pattern.ts';

describe('compileClaimConditions', () => {
  const pattern = compilePathPattern('/tenants/{tenant}/**');

  test('equal to a value, one of a list, equal to a path parameter; the first failing claim is named', () => {
    const { check, usesParams } = compileClaimConditions(
      { tenant: '{tenant}', plan: ['pro', 'enterprise'], 'org.active': true },
      pattern,
    );
    assert.equal(usesParams, true);
    const ok = { tenant: 'acme', plan: 'pro', org: { active: true } };
    assert.equal(check(ok, { tenant: 'acme' }), null);
    assert.equal(check(ok, { tenant: 'globex' }), 'tenant');
    assert.equal(check({ ...ok, plan: 'free' }, { tenant: 'acme' }), 'plan');
    assert.equal(check({ ...ok, org: { active: 'true' } }, { tenant: 'acme' }), 'org.active');
    assert.equal(check({ plan: 'pro', org: { active: true } }, { tenant: 'acme' }), 'tenant');
  });

  test('only a string, number or boolean claim can match: an array holding the value does not', () => {
    const { check } = compileClaimConditions({ tenant: 'acme' }, pattern);
    assert.equal(check({ tenant: ['acme'] }, {}), 'tenant');
    assert.equal(check({ tenant: 'acme' }, {}), null);
  });

  test('a parameter that is not in the path is refused at load, naming the claim', () => {
    assert.throws(
      () => compileClaimConditions({ org: '{org}' }, pattern),
      (err: Error & { claim?: string }) =>
        err.claim === 'org' && /\{org\} is not a parameter/.test(err.message),
    );
  });
});
