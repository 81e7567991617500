import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateClientSecret, hashClientSecret, verifyClientSecret } from '../../src/store/hash-secret.ts';

describe('client secrets', () => {
  test('generated secrets are 32 random bytes in base64url', () => {
    const secret = generateClientSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.notEqual(generateClientSecret(), secret);
  });

  test('the hash is sha256: + base64url of the SHA-256 digest', () => {
    // SHA-256("abc"), a FIPS 180-2 test vector.
    assert.equal(hashClientSecret('abc'), 'sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    const secret = generateClientSecret();
    assert.equal(hashClientSecret(secret), hashClientSecret(secret));
    assert.ok(!hashClientSecret(secret).includes(secret));
  });

  test('verify accepts the right secret only', () => {
    const secret = generateClientSecret();
    const hash = hashClientSecret(secret);
    assert.equal(verifyClientSecret(secret, hash), true);
    assert.equal(verifyClientSecret(generateClientSecret(), hash), false);
    assert.equal(verifyClientSecret(`${secret}x`, hash), false);
    assert.equal(verifyClientSecret('', hash), false);
  });

  test('verify rejects malformed or foreign hashes instead of throwing', () => {
    const secret = generateClientSecret();
    const digest = hashClientSecret(secret).slice('sha256:'.length);
    assert.equal(verifyClientSecret(secret, digest), false, 'no prefix');
    assert.equal(verifyClientSecret(secret, `sha512:${digest}`), false);
    assert.equal(verifyClientSecret(secret, 'sha256:short'), false);
    assert.equal(verifyClientSecret(secret, ''), false);
    assert.equal(
      verifyClientSecret(secret, secret),
      false,
      'a plaintext secret stored by mistake never matches',
    );
    assert.equal(verifyClientSecret(secret, null as unknown as string), false);
  });
});
