import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  decryptAtRest,
  decryptPrivateJwk,
  encryptAtRest,
  encryptPrivateJwk,
  loadKeyEncryptionKey,
  PRIVATE_JWK,
  TOTP_SECRET,
} from '../../src/store/key-encryption.ts';

const jwk = JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'xx', y: 'yy', d: 'PRIVATE-SCALAR-d', kid: 'k-1' });

describe('private key encryption', () => {
  test('round-trips under the same KEK, as enc:v1:<iv>.<tag>.<ciphertext>', () => {
    const kek = randomBytes(32);
    const stored = encryptPrivateJwk(jwk, kek);
    assert.match(stored, /^enc:v1:[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    assert.ok(!stored.includes('PRIVATE-SCALAR-d'));
    assert.equal(decryptPrivateJwk(stored, kek), jwk);
  });

  test('each encryption uses a fresh IV', () => {
    const kek = randomBytes(32);
    assert.notEqual(encryptPrivateJwk(jwk, kek), encryptPrivateJwk(jwk, kek));
  });

  test('without a KEK the JSON is stored and read as is', () => {
    assert.equal(encryptPrivateJwk(jwk, null), jwk);
    assert.equal(decryptPrivateJwk(jwk, null), jwk);
  });

  test('plain JSON stored before encryption was enabled is still readable', () => {
    assert.equal(decryptPrivateJwk(jwk, randomBytes(32)), jwk);
  });

  test('an encrypted key without a KEK fails clearly', () => {
    const stored = encryptPrivateJwk(jwk, randomBytes(32));
    assert.throws(
      () => decryptPrivateJwk(stored, null),
      /encrypted, but JWTGATE_KEY_ENCRYPTION_KEY is not set/,
    );
  });

  test('a wrong KEK fails clearly, without key material in the message', () => {
    const kek = randomBytes(32);
    const stored = encryptPrivateJwk(jwk, kek);
    assert.throws(
      () => decryptPrivateJwk(stored, randomBytes(32)),
      (error: Error) => {
        assert.match(error.message, /cannot decrypt a private signing key: wrong JWTGATE_KEY_ENCRYPTION_KEY/);
        assert.ok(!error.message.includes(stored.slice(7)));
        assert.ok(!error.message.includes(kek.toString('base64')));
        assert.equal(error.cause, undefined);
        return true;
      },
    );
  });

  test('tampered ciphertext, tag or IV fails', () => {
    const kek = randomBytes(32);
    const stored = encryptPrivateJwk(jwk, kek);
    const [iv = '', tag = '', ciphertext = ''] = stored.slice('enc:v1:'.length).split('.');
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    for (const tampered of [
      `enc:v1:${iv}.${tag}.${flip(ciphertext)}`,
      `enc:v1:${iv}.${flip(tag)}.${ciphertext}`,
      `enc:v1:${flip(iv)}.${tag}.${ciphertext}`,
    ]) {
      assert.throws(() => decryptPrivateJwk(tampered, kek), /cannot decrypt a private signing key/);
    }
  });

  test('a truncated tag or malformed layout is refused', () => {
    const kek = randomBytes(32);
    const stored = encryptPrivateJwk(jwk, kek);
    const [iv = '', tag = '', ciphertext = ''] = stored.slice('enc:v1:'.length).split('.');
    const shortTag = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    assert.throws(() => decryptPrivateJwk(`enc:v1:${iv}.${shortTag}.${ciphertext}`, kek), /malformed/);
    assert.throws(() => decryptPrivateJwk(`enc:v1:${iv}.${tag}`, kek), /malformed/);
    assert.throws(() => decryptPrivateJwk(`enc:v1:${iv}.${tag}.${ciphertext}.x`, kek), /malformed/);
    assert.throws(() => decryptPrivateJwk('enc:v2:whatever', kek), /unknown format/);
  });

  test('a KEK of the wrong length is refused', () => {
    assert.throws(() => encryptPrivateJwk(jwk, randomBytes(16)), /must be 32 bytes, got 16/);
    assert.throws(
      () => decryptPrivateJwk(encryptPrivateJwk(jwk, randomBytes(32)), randomBytes(31)),
      /32 bytes/,
    );
  });
});

describe('secrets bound to their purpose', () => {
  test('a TOTP secret round-trips, and cannot be read as a private key (or the other way)', () => {
    const kek = randomBytes(32);
    const stored = encryptAtRest('JBSWY3DPEHPK3PXP', kek, TOTP_SECRET);
    assert.equal(decryptAtRest(stored, kek, TOTP_SECRET), 'JBSWY3DPEHPK3PXP');
    assert.throws(() => decryptAtRest(stored, kek, PRIVATE_JWK), /cannot decrypt a private signing key/);
    assert.throws(
      () => decryptAtRest(encryptPrivateJwk(jwk, kek), kek, TOTP_SECRET),
      /cannot decrypt a user's TOTP secret/,
    );
    assert.throws(() => decryptAtRest(stored, null, TOTP_SECRET), /TOTP secret is encrypted, but/);
  });
});

describe('loadKeyEncryptionKey', () => {
  test('unset means no encryption', () => {
    assert.equal(loadKeyEncryptionKey({}), null);
  });

  test('reads base64 and base64url of 32 bytes', () => {
    const kek = randomBytes(32);
    assert.deepEqual(loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: kek.toString('base64') }), kek);
    assert.deepEqual(loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: kek.toString('base64url') }), kek);
    assert.deepEqual(
      loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: ` ${kek.toString('base64')}\n` }),
      kek,
    );
  });

  test('refuses other lengths and non-base64, without echoing the value', () => {
    const short = randomBytes(16).toString('base64');
    assert.throws(
      () => loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: short }),
      (error: Error) => {
        assert.match(
          error.message,
          /JWTGATE_KEY_ENCRYPTION_KEY must be base64 or base64url of exactly 32 bytes, got 16 bytes/,
        );
        assert.ok(!error.message.includes(short));
        return true;
      },
    );
    assert.throws(
      () => loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: randomBytes(48).toString('base64') }),
      /got 48 bytes/,
    );
    assert.throws(
      () => loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: 'not base64 at all!' }),
      /not base64/,
    );
    assert.throws(() => loadKeyEncryptionKey({ JWTGATE_KEY_ENCRYPTION_KEY: '' }), /exactly 32 bytes/);
  });

  test('defaults to process.env', () => {
    const saved = process.env.JWTGATE_KEY_ENCRYPTION_KEY;
    delete process.env.JWTGATE_KEY_ENCRYPTION_KEY;
    try {
      assert.equal(loadKeyEncryptionKey(), null);
    } finally {
      if (saved !== undefined) process.env.JWTGATE_KEY_ENCRYPTION_KEY = saved;
    }
  });
});
