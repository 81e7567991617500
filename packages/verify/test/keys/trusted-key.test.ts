import assert from 'node:assert/strict';
import {
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { describe, test } from 'node:test';
import { ALGORITHMS, type Algorithm } from '../../src/algorithms.ts';
import { keyFitsAlgorithm, type TrustedKey, trustJwk, trustPublicKey } from '../../src/keys/trusted-key.ts';

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
const ed25519 = generateKeyPairSync('ed25519');

const jwkOf = (key: KeyObject, extra: Record<string, unknown> = {}) => ({
  ...key.export({ format: 'jwk' }),
  ...extra,
});

function mustTrust(value: TrustedKey | string): TrustedKey {
  assert.equal(typeof value, 'object', `expected a key, got problem: ${String(value)}`);
  return value as TrustedKey;
}

function mustRefuse(value: TrustedKey | string, pattern: RegExp): void {
  assert.equal(typeof value, 'string', 'expected a problem, got a key');
  assert.match(value as string, pattern);
}

describe('trustPublicKey', () => {
  test('RSA 2048 is trusted with its modulus length in bytes', () => {
    const key = mustTrust(trustPublicKey(rsa2048.publicKey, { kid: 'r1' }));
    assert.deepEqual(
      { kid: key.kid, kind: key.kind, bytes: key.bytes, curve: key.curve, alg: key.alg, anyKid: key.anyKid },
      { kid: 'r1', kind: 'RSA', bytes: 256, curve: undefined, alg: undefined, anyKid: false },
    );
    assert.equal(key.key, rsa2048.publicKey);
  });

  test('RSA shorter than 2048 bits is refused', () => {
    mustRefuse(trustPublicKey(rsa1024.publicKey, {}), /shorter than 2048/);
    mustRefuse(
      trustPublicKey(generateKeyPairSync('rsa', { modulusLength: 2040 }).publicKey, {}),
      /shorter than 2048/,
    );
  });

  test('EC curves map to their JWK names; Ed25519 is OKP', () => {
    assert.equal(mustTrust(trustPublicKey(p256.publicKey, {})).curve, 'P-256');
    assert.equal(mustTrust(trustPublicKey(p384.publicKey, {})).curve, 'P-384');
    assert.equal(mustTrust(trustPublicKey(p521.publicKey, {})).curve, 'P-521');
    const ed = mustTrust(trustPublicKey(ed25519.publicKey, {}));
    assert.deepEqual([ed.kind, ed.curve], ['OKP', 'Ed25519']);
  });

  test('unsupported curves and key types are refused', () => {
    mustRefuse(
      trustPublicKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey, {}),
      /unsupported EC curve/,
    );
    mustRefuse(trustPublicKey(generateKeyPairSync('ed448').publicKey, {}), /unsupported key type ed448/);
    mustRefuse(trustPublicKey(generateKeyPairSync('x25519').publicKey, {}), /unsupported key type x25519/);
    mustRefuse(
      trustPublicKey(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey, {}),
      /unsupported key type rsa-pss/,
    );
    mustRefuse(
      trustPublicKey(generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey, {}),
      /unsupported key type dsa/,
    );
  });

  test('private and secret keys are refused: only public keys verify', () => {
    mustRefuse(trustPublicKey(rsa2048.privateKey, {}), /not a public key/);
    mustRefuse(trustPublicKey(createSecretKey(Buffer.alloc(32, 1)), {}), /not a public key/);
  });

  test('a pinned alg must fit the key type and curve', () => {
    assert.equal(mustTrust(trustPublicKey(rsa2048.publicKey, { alg: 'PS256' })).alg, 'PS256');
    assert.equal(mustTrust(trustPublicKey(p384.publicKey, { alg: 'ES384' })).alg, 'ES384');
    mustRefuse(trustPublicKey(p384.publicKey, { alg: 'ES256' }), /does not fit/);
    mustRefuse(trustPublicKey(rsa2048.publicKey, { alg: 'HS256' }), /does not fit/);
    mustRefuse(trustPublicKey(rsa2048.publicKey, { alg: 'ES256' }), /does not fit/);
    mustRefuse(trustPublicKey(ed25519.publicKey, { alg: 'ES256' }), /does not fit/);
    mustRefuse(trustPublicKey(rsa2048.publicKey, { alg: 'none' }), /unsupported alg/);
    mustRefuse(trustPublicKey(rsa2048.publicKey, { alg: 'rs256' }), /unsupported alg/);
  });
});

describe('trustJwk', () => {
  test('imports RSA, EC and OKP public JWKs with kid and alg', () => {
    const r = mustTrust(trustJwk(jwkOf(rsa2048.publicKey, { kid: 'r', alg: 'RS256', use: 'sig' })));
    assert.deepEqual([r.kind, r.kid, r.alg, r.bytes], ['RSA', 'r', 'RS256', 256]);
    const e = mustTrust(trustJwk(jwkOf(p521.publicKey, { kid: 'e', key_ops: ['verify'] })));
    assert.deepEqual([e.kind, e.curve, e.kid, e.alg], ['EC', 'P-521', 'e', undefined]);
    const o = mustTrust(trustJwk(jwkOf(ed25519.publicKey)));
    assert.deepEqual([o.kind, o.curve, o.kid, o.anyKid], ['OKP', 'Ed25519', undefined, false]);
    assert.equal(mustTrust(trustJwk(jwkOf(ed25519.publicKey), { anyKid: true })).anyKid, true);
  });

  test('a JWK carrying private members still yields a public key only', () => {
    for (const pair of [rsa2048, p256, ed25519]) {
      const jwk = jwkOf(pair.privateKey, { kid: 'leaky' });
      assert.ok('d' in jwk);
      const key = mustTrust(trustJwk(jwk));
      assert.equal(key.key.type, 'public');
      assert.deepEqual(key.key.export({ format: 'jwk' }), pair.publicKey.export({ format: 'jwk' }));
    }
  });

  test('things that are not a JWK object are refused', () => {
    for (const value of [null, undefined, 'x', 1, [], [jwkOf(p256.publicKey)]]) {
      mustRefuse(trustJwk(value), /not a JSON object/);
    }
  });

  test('encryption keys and keys not allowed to verify are refused', () => {
    const base = jwkOf(p256.publicKey);
    mustRefuse(trustJwk({ ...base, use: 'enc' }), /use is not "sig"/);
    mustRefuse(trustJwk({ ...base, use: 'SIG' }), /use is not "sig"/);
    mustRefuse(trustJwk({ ...base, key_ops: ['encrypt'] }), /key_ops/);
    mustRefuse(trustJwk({ ...base, key_ops: [] }), /key_ops/);
    mustRefuse(trustJwk({ ...base, key_ops: 'verify' }), /key_ops/);
    assert.ok(typeof trustJwk({ ...base, key_ops: ['sign', 'verify'] }) === 'object');
  });

  test('bad member types are refused', () => {
    const base = jwkOf(p256.publicKey);
    mustRefuse(trustJwk({ ...base, kid: 1 }), /kid is not a string/);
    mustRefuse(trustJwk({ ...base, alg: ['ES256'] }), /alg is not a string/);
    mustRefuse(trustJwk({ ...base, alg: 'ES384' }), /does not fit/);
    mustRefuse(trustJwk({ ...base, alg: 'none' }), /unsupported alg/);
  });

  test('symmetric, unknown and non-Ed25519 OKP keys are refused', () => {
    mustRefuse(trustJwk({ kty: 'oct', k: Buffer.alloc(32).toString('base64url') }), /unsupported kty oct/);
    mustRefuse(trustJwk({ kty: 'rsa', n: 'AQAB', e: 'AQAB' }), /unsupported kty rsa/);
    mustRefuse(trustJwk({ n: 'AQAB', e: 'AQAB' }), /unsupported kty/);
    mustRefuse(trustJwk(jwkOf(generateKeyPairSync('x25519').publicKey)), /unsupported OKP curve X25519/);
    mustRefuse(trustJwk(jwkOf(generateKeyPairSync('ed448').publicKey)), /unsupported OKP curve Ed448/);
  });

  test('short RSA and unsupported curves are refused', () => {
    mustRefuse(trustJwk(jwkOf(rsa1024.publicKey, { alg: 'RS256' })), /shorter than 2048/);
    mustRefuse(trustJwk(jwkOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey)), /./);
  });

  test('broken key material is refused, never thrown', () => {
    const ec = jwkOf(p256.publicKey) as JsonWebKey;
    for (const jwk of [
      { kty: 'RSA', n: 'not base64!', e: 'AQAB' },
      { kty: 'RSA', e: 'AQAB' },
      { kty: 'EC', crv: 'P-256', x: ec.x },
      { kty: 'EC', crv: 'P-256', x: ec.x, y: ec.x }, // not on the curve
      { kty: 'EC', crv: 'P-384', x: ec.x, y: ec.y },
      { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' },
      { kty: 'OKP', crv: 'Ed25519' },
    ]) {
      mustRefuse(trustJwk(jwk), /invalid key material|unsupported|shorter than 2048/);
    }
  });
});

describe('keyFitsAlgorithm', () => {
  const secret = (bytes: number): TrustedKey => ({
    kid: undefined,
    anyKid: true,
    kind: 'oct',
    curve: undefined,
    alg: undefined,
    key: createSecretKey(Buffer.alloc(bytes, 7)),
    bytes,
  });
  const keys: Record<string, TrustedKey> = {
    rsa: mustTrust(trustPublicKey(rsa2048.publicKey, {})),
    p256: mustTrust(trustPublicKey(p256.publicKey, {})),
    p384: mustTrust(trustPublicKey(p384.publicKey, {})),
    p521: mustTrust(trustPublicKey(p521.publicKey, {})),
    ed: mustTrust(trustPublicKey(ed25519.publicKey, {})),
    oct64: secret(64),
  };
  const fits: Record<string, Algorithm[]> = {
    rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    p256: ['ES256'],
    p384: ['ES384'],
    p521: ['ES512'],
    ed: ['EdDSA'],
    oct64: ['HS256', 'HS384', 'HS512'],
  };

  test('every key kind fits exactly its algorithms', () => {
    for (const [name, key] of Object.entries(keys)) {
      for (const alg of Object.keys(ALGORITHMS) as Algorithm[]) {
        assert.equal(keyFitsAlgorithm(key, alg), fits[name]?.includes(alg), `${name} with ${alg}`);
      }
    }
  });

  test('a pinned alg narrows an RSA key to that one algorithm', () => {
    const pinned = mustTrust(trustPublicKey(rsa2048.publicKey, { alg: 'RS256' }));
    for (const alg of fits.rsa ?? []) assert.equal(keyFitsAlgorithm(pinned, alg), alg === 'RS256', alg);
  });

  test('an HMAC key must be at least as long as the hash output', () => {
    assert.deepEqual(
      (['HS256', 'HS384', 'HS512'] as const).map((alg) => keyFitsAlgorithm(secret(32), alg)),
      [true, false, false],
    );
    assert.deepEqual(
      (['HS256', 'HS384', 'HS512'] as const).map((alg) => keyFitsAlgorithm(secret(48), alg)),
      [true, true, false],
    );
    assert.equal(keyFitsAlgorithm(secret(31), 'HS256'), false);
  });

  test('a public key never fits an HMAC algorithm (no RS256 -> HS256 confusion at key level)', () => {
    const pem = rsa2048.publicKey.export({ format: 'pem', type: 'spki' });
    const fromPem = mustTrust(trustPublicKey(createPublicKey(pem), {}));
    for (const alg of ['HS256', 'HS384', 'HS512'] as const)
      assert.equal(keyFitsAlgorithm(fromPem, alg), false);
  });
});
