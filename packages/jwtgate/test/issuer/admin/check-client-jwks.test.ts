import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { checkClientJwks } from '../../../src/issuer/admin/check-client-jwks.ts';
import { IssuerError } from '../../../src/issuer/errors.ts';

type Jwk = Record<string, unknown>;

function publicJwk(type: 'rsa' | 'ec' | 'ed25519' | 'ed448' | 'x25519', options: object = {}): Jwk {
  const generate = generateKeyPairSync as (t: string, o: object) => { publicKey: KeyObject };
  return generate(type, options).publicKey.export({ format: 'jwk' }) as Jwk;
}

function privateJwk(): Jwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'jwk' }) as Jwk;
}

const rsa2048 = publicJwk('rsa', { modulusLength: 2048 });

function refused(key: Jwk, message: RegExp) {
  assert.throws(
    () => checkClientJwks({ keys: [{ kty: 'EC', ...publicJwk('ec', { namedCurve: 'P-256' }) }, key] }),
    (err: unknown) =>
      err instanceof IssuerError &&
      err.code === 'ERR_CLIENT_KEY_INVALID' &&
      err.status === 400 &&
      /^jwks\.keys\[1\]/.test(err.message) &&
      message.test(err.message),
    `${JSON.stringify(key).slice(0, 80)} should be refused with ${message}`,
  );
}

describe('checkClientJwks', () => {
  test('accepts RSA >= 2048 bits, P-256/384/521 and Ed25519 public keys', () => {
    const keys = [
      { ...rsa2048, kid: 'rsa', alg: 'PS256', use: 'sig' },
      publicJwk('rsa', { modulusLength: 3072 }),
      { ...publicJwk('ec', { namedCurve: 'P-256' }), alg: 'ES256', key_ops: ['verify'] },
      publicJwk('ec', { namedCurve: 'P-384' }),
      { ...publicJwk('ec', { namedCurve: 'P-521' }), alg: 'ES512' },
      { ...publicJwk('ed25519'), alg: 'EdDSA' },
    ];
    assert.deepEqual(checkClientJwks({ keys }), { keys });
  });

  test('weak RSA: a 17-bit or 1024-bit modulus, a bad exponent', () => {
    // The key the attack used: n = 0x1d3c3 (17 bits), e = 65537.
    refused(
      { kty: 'RSA', n: 'AdPD', e: 'AQAB', kid: 'tiny' },
      /\(kid "tiny"\): the RSA modulus has 17 bits; at least 2048/,
    );
    refused(publicJwk('rsa', { modulusLength: 1024 }), /has 1024 bits; at least 2048/);
    refused({ ...rsa2048, e: 'AQ' }, /public exponent/); // e = 1: every signature verifies
    refused({ ...rsa2048, e: 'Aw' }, /public exponent/); // e = 3
    refused({ ...rsa2048, e: 'AQAA' }, /public exponent/); // even
  });

  test('curves other than P-256/384/521 and Ed25519 are refused, as are off-curve points', () => {
    refused(
      publicJwk('ec', { namedCurve: 'secp256k1' }),
      /curve "secp256k1" is not accepted; use P-256, P-384, P-521/,
    );
    refused(publicJwk('ed448'), /curve "Ed448" is not accepted; use Ed25519/);
    refused(publicJwk('x25519'), /curve "X25519" is not accepted/);
    const p256 = publicJwk('ec', { namedCurve: 'P-256' });
    const y = Buffer.from(p256.y as string, 'base64url');
    y[31] = (y[31] as number) ^ 1;
    refused({ ...p256, y: y.toString('base64url') }, /not a valid public key/);
    refused({ kty: 'EC', crv: 'P-256', x: 'AA' }, /not a valid public key/);
  });

  test('no private or symmetric key material, only signature keys', () => {
    refused(privateJwk(), /holds private key material \("d"\)/);
    refused({ kty: 'oct', k: 'c2VjcmV0' }, /symmetric key/);
    refused({ ...rsa2048, use: 'enc' }, /"use" must be "sig"/);
    refused({ ...rsa2048, key_ops: ['encrypt'] }, /"key_ops" must include "verify"/);
    refused({ ...rsa2048, alg: 'ES256' }, /"alg" must be one of RS256/);
    refused({ ...publicJwk('ec', { namedCurve: 'P-384' }), alg: 'ES256' }, /"alg" must be one of ES384/);
    refused({ ...rsa2048, alg: 'HS256' }, /"alg"/);
    refused({ kty: 'AKP', pub: 'AA' }, /expected an RSA, EC or OKP public key/);
    refused({ kty: 'toString' }, /expected an RSA, EC or OKP public key/);
    refused(JSON.parse('{"__proto__":{"kty":"EC"}}'), /expected an RSA, EC or OKP/);
  });

  test('the JWKS itself: a non-empty keys array of objects', () => {
    for (const bad of [
      undefined,
      null,
      {},
      { keys: [] },
      { keys: {} },
      JSON.parse('{"__proto__":{"keys":[1]}}'),
    ])
      assert.throws(() => checkClientJwks(bad), /ERR_CLIENT_INVALID|private_key_jwt needs/);
    assert.throws(() => checkClientJwks({ keys: [null] }), /jwks\.keys\[0\]: expected a JWK object/);
  });
});
