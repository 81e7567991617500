import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { checkCsrfToken, createCsrfToken } from '../../../src/issuer/login/login-csrf.ts';

describe('login CSRF tokens', () => {
  const key = randomBytes(32);

  test('bound to the key, the purpose and the interaction uid', () => {
    const token = createCsrfToken(key, 'login', 'uid-1');
    assert.equal(checkCsrfToken(key, 'login', 'uid-1', token), true);
    assert.equal(checkCsrfToken(key, 'login', 'uid-2', token), false);
    assert.equal(checkCsrfToken(key, 'logout', 'uid-1', token), false);
    assert.equal(checkCsrfToken(randomBytes(32), 'login', 'uid-1', token), false);
  });

  test('anything else is refused', () => {
    for (const given of [undefined, null, '', 'x', 'a'.repeat(500), 42])
      assert.equal(checkCsrfToken(key, 'login', 'uid-1', given), false);
  });
});
