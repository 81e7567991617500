import assert from 'node:assert/strict';
import { constants, createSecretKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Algorithm } from '../src/algorithms.ts';
import { type TrustedKey, trustPublicKey } from '../src/keys/trusted-key.ts';
import { verifySignature } from '../src/verify-signature.ts';
import { enc, p1363ToDer, signRaw } from './helpers/forge.ts';

// verifySignature takes the signature's base64url segment, as parseToken leaves it.
const verifySig = (alg: Algorithm, key: TrustedKey, input: string, signature: Buffer) =>
  verifySignature(alg, key, input, signature.toString('base64url'));

const INPUT = `${enc('{"alg":"X"}')}.${enc('{"sub":"alice"}')}`;
const OTHER_INPUT = `${enc('{"alg":"X"}')}.${enc('{"sub":"mallory"}')}`;

interface Pair {
  readonly privateKey: KeyObject;
  readonly trusted: TrustedKey;
}

function trusted(publicKey: KeyObject): TrustedKey {
  const key = trustPublicKey(publicKey, {});
  assert.equal(typeof key, 'object', String(key));
  return key as TrustedKey;
}

function pair(kind: 'rsa' | 'ec' | 'ed25519', option?: string | number): Pair {
  const generated =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: (option as number) ?? 2048 })
      : kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: option as string })
        : generateKeyPairSync('ed25519');
  return { privateKey: generated.privateKey, trusted: trusted(generated.publicKey) };
}

function secretKey(bytes: Buffer): TrustedKey {
  return {
    kid: undefined,
    anyKid: true,
    kind: 'oct',
    curve: undefined,
    alg: undefined,
    key: createSecretKey(bytes),
    bytes: bytes.length,
  };
}

const SECRET_BYTES = Buffer.from('s'.repeat(64));
const HS = secretKey(SECRET_BYTES);
const HS_OTHER = secretKey(Buffer.from('t'.repeat(64)));
const RSA = pair('rsa', 2048);
const RSA_OTHER = pair('rsa', 2048);
const P256 = pair('ec', 'prime256v1');
const P384 = pair('ec', 'secp384r1');
const P521 = pair('ec', 'secp521r1');
const ED = pair('ed25519');

const CASES: { alg: Algorithm; signer: KeyObject | Buffer; key: TrustedKey; other: TrustedKey }[] = [
  { alg: 'HS256', signer: SECRET_BYTES, key: HS, other: HS_OTHER },
  { alg: 'HS384', signer: SECRET_BYTES, key: HS, other: HS_OTHER },
  { alg: 'HS512', signer: SECRET_BYTES, key: HS, other: HS_OTHER },
  { alg: 'RS256', signer: RSA.privateKey, key: RSA.trusted, other: RSA_OTHER.trusted },
  { alg: 'RS384', signer: RSA.privateKey, key: RSA.trusted, other: RSA_OTHER.trusted },
  { alg: 'RS512', signer: RSA.privateKey, key: RSA.trusted, other: RSA_OTHER.trusted },
  { alg: 'PS256', signer: RSA.privateKey, key: RSA.trusted, other: RSA_OTHER.trusted },
  { alg: 'PS384', signer: RSA.privateKey, key: RSA.trusted, other: RSA_OTHER.trusted },
  { alg: 'PS512', signer: RSA.privateKey, key: RSA.trusted, other: RSA_OTHER.trusted },
  { alg: 'ES256', signer: P256.privateKey, key: P256.trusted, other: pair('ec', 'prime256v1').trusted },
  { alg: 'ES384', signer: P384.privateKey, key: P384.trusted, other: pair('ec', 'secp384r1').trusted },
  { alg: 'ES512', signer: P521.privateKey, key: P521.trusted, other: pair('ec', 'secp521r1').trusted },
  { alg: 'EdDSA', signer: ED.privateKey, key: ED.trusted, other: pair('ed25519').trusted },
];

describe('verifySignature', () => {
  for (const { alg, signer, key, other } of CASES) {
    describe(alg, () => {
      const signature = signRaw(alg, signer, INPUT);

      test('a valid signature verifies', () => {
        assert.equal(verifySig(alg, key, INPUT, signature), true);
      });

      test('a different signing input fails', () => {
        assert.equal(verifySig(alg, key, OTHER_INPUT, signature), false);
        assert.equal(verifySig(alg, key, `${INPUT}x`, signature), false);
      });

      test('another key fails', () => {
        assert.equal(verifySig(alg, other, INPUT, signature), false);
      });

      test('every single-bit flip of the signature fails', () => {
        // All bits for short signatures; a spread of positions for long RSA ones.
        const step = signature.length > 132 ? 7 : 1;
        for (let i = 0; i < signature.length; i += step) {
          for (let bit = 0; bit < 8; bit++) {
            const flipped = Buffer.from(signature);
            flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
            if (verifySig(alg, key, INPUT, flipped)) assert.fail(`byte ${i} bit ${bit} still verifies`);
          }
        }
      });

      test('wrong lengths fail without throwing: empty, truncated, extended, doubled', () => {
        for (const bad of [
          Buffer.alloc(0),
          signature.subarray(0, signature.length - 1),
          signature.subarray(1),
          Buffer.concat([signature, Buffer.from([0])]),
          Buffer.concat([Buffer.from([0]), signature]),
          Buffer.concat([signature, signature]),
          Buffer.alloc(signature.length),
        ]) {
          assert.equal(verifySig(alg, key, INPUT, bad), false, `length ${bad.length}`);
        }
      });
    });
  }

  test('an ECDSA signature of zeros (r = s = 0) fails, on every curve', () => {
    assert.equal(verifySig('ES256', P256.trusted, INPUT, Buffer.alloc(64)), false);
    assert.equal(verifySig('ES384', P384.trusted, INPUT, Buffer.alloc(96)), false);
    assert.equal(verifySig('ES512', P521.trusted, INPUT, Buffer.alloc(132)), false);
  });

  test('ECDSA r and s equal to the group order (s mod n = 0) fail', () => {
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    assert.equal(verifySig('ES256', P256.trusted, INPUT, Buffer.concat([n, n])), false);
    const valid = signRaw('ES256', P256.privateKey, INPUT);
    assert.equal(verifySig('ES256', P256.trusted, INPUT, Buffer.concat([valid.subarray(0, 32), n])), false);
  });

  test('a DER-encoded ECDSA signature of the right input fails (JWS wants R || S)', () => {
    for (const [alg, p] of [
      ['ES256', P256],
      ['ES384', P384],
      ['ES512', P521],
    ] as const) {
      const p1363 = signRaw(alg, p.privateKey, INPUT);
      const der = p1363ToDer(p1363);
      // Sanity: node accepts the DER form when asked for DER, so only the encoding is wrong.
      const derFromNode = sign(`sha${alg.slice(-3)}`, Buffer.from(INPUT), {
        key: p.privateKey,
        dsaEncoding: 'der',
      });
      assert.equal(derFromNode[0], 0x30);
      assert.equal(verifySig(alg, p.trusted, INPUT, der), false, alg);
      assert.equal(verifySig(alg, p.trusted, INPUT, derFromNode), false, alg);
    }
  });

  test('RS and PS signatures are not interchangeable, nor are hashes', () => {
    const rs256 = signRaw('RS256', RSA.privateKey, INPUT);
    const ps256 = signRaw('PS256', RSA.privateKey, INPUT);
    assert.equal(verifySig('PS256', RSA.trusted, INPUT, rs256), false);
    assert.equal(verifySig('RS256', RSA.trusted, INPUT, ps256), false);
    assert.equal(verifySig('RS384', RSA.trusted, INPUT, rs256), false);
    assert.equal(verifySig('PS512', RSA.trusted, INPUT, ps256), false);
    const hs256 = signRaw('HS256', SECRET_BYTES, INPUT);
    const hs512 = signRaw('HS512', SECRET_BYTES, INPUT);
    assert.equal(verifySig('HS512', HS, INPUT, Buffer.concat([hs256, hs256])), false);
    assert.equal(verifySig('HS256', HS, INPUT, hs512.subarray(0, 32)), false);
  });

  test('PSS requires the salt to be as long as the hash (RFC 7518 3.5)', () => {
    for (const saltLength of [0, 20, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
      const signature = sign('sha256', Buffer.from(INPUT), {
        key: RSA.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      assert.equal(verifySig('PS256', RSA.trusted, INPUT, signature), false, `salt ${saltLength}`);
    }
    const good = sign('sha256', Buffer.from(INPUT), {
      key: RSA.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    assert.equal(verifySig('PS256', RSA.trusted, INPUT, good), true);
  });

  test('RSA signatures must be exactly the modulus length, also for 3072- and 4096-bit keys', () => {
    for (const bits of [3072, 4096]) {
      const p = pair('rsa', bits);
      assert.equal(p.trusted.bytes, bits / 8);
      const signature = signRaw('RS256', p.privateKey, INPUT);
      assert.equal(signature.length, bits / 8);
      assert.equal(verifySig('RS256', p.trusted, INPUT, signature), true);
      assert.equal(verifySig('RS256', RSA.trusted, INPUT, signature), false);
      assert.equal(verifySig('RS256', p.trusted, INPUT, signature.subarray(0, 256)), false);
    }
  });

  for (const alg of ['RS256', 'PS256'] as const) {
    test(`${alg}: a signature with its leading zero byte stripped is refused (exact length)`, () => {
      // OpenSSL accepts such a shortened RSASSA-PSS signature on its own: only the length check
      // keeps one signature from having two encodings.
      for (let i = 0; i < 4000; i++) {
        const input = `${INPUT}${i}`;
        const signature = signRaw(alg, RSA.privateKey, input);
        if (signature[0] !== 0) continue;
        assert.equal(verifySig(alg, RSA.trusted, input, signature), true);
        assert.equal(verifySig(alg, RSA.trusted, input, signature.subarray(1)), false);
        assert.equal(verifySig(alg, RSA.trusted, input, Buffer.concat([Buffer.from([0]), signature])), false);
        return;
      }
      assert.fail('no signature with a leading zero byte found');
    });
  }
});
