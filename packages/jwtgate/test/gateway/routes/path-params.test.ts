import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readPathParams } from '../../../src/gateway/routes/path-params.ts';
import { compilePathPattern } from '../../../src/gateway/routes/path-pattern.ts';

describe('path parameters', () => {
  const tenants = compilePathPattern('/tenants/{tenant}/users/{user}/**');

  test('{name} matches one segment, like *, and is read by name', () => {
    assert.ok(tenants.matches('/tenants/acme/users/7'));
    assert.ok(!tenants.matches('/tenants/acme'));
    assert.deepEqual(
      { ...readPathParams(tenants, '/tenants/acme/users/7/x') },
      { tenant: 'acme', user: '7' },
    );
  });

  test('decoded exactly once', () => {
    assert.equal(readPathParams(tenants, '/tenants/%61cme/users/7')?.tenant, 'acme');
    assert.equal(readPathParams(tenants, '/tenants/%2561cme/users/7')?.tenant, '%61cme');
  });

  test('a value that does not decode, or decodes to a separator, control character or dot segment, is refused', () => {
    for (const bad of ['%zz', '%2f', '%5c', '%00', '%0a', '.', '%2e%2e', '%7f']) {
      assert.equal(readPathParams(tenants, `/tenants/${bad}/users/7`), null, bad);
    }
  });

  test('malformed parameters are refused at load', () => {
    assert.throws(() => compilePathPattern('/a/{x}/{x}'), /appears twice/);
    assert.throws(() => compilePathPattern('/a/x{y}'), /whole segment/);
    assert.throws(() => compilePathPattern('/a/{1x}'), /whole segment/);
  });
});
