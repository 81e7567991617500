import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { ALGORITHMS, type Algorithm, isAlgorithm, MIN_RSA_BITS, minSecretBytes } from '../src/algorithms.ts';
import { signRaw } from './helpers/forge.ts';

const EXPECTED = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

describe('ALGORITHMS', () => {
  test('lists exactly the supported JWS algorithms, and never none', () => {
    assert.deepEqual(Object.keys(ALGORITHMS).sort(), [...EXPECTED].sort());
    for (const none of ['none', 'None', 'NONE', 'nOnE']) assert.equal(Object.hasOwn(ALGORITHMS, none), false);
  });

  test('kind, hash and curve follow RFC 7518 / RFC 8037', () => {
    for (const [name, spec] of Object.entries(ALGORITHMS) as [Algorithm, (typeof ALGORITHMS)[Algorithm]][]) {
      const bits = name.slice(-3);
      if (name === 'EdDSA') {
        assert.deepEqual({ kind: spec.kind, hash: spec.hash }, { kind: 'OKP', hash: null });
        continue;
      }
      assert.equal(spec.hash, `sha${bits}`, name);
      const kind = { HS: 'oct', RS: 'RSA', PS: 'RSA', ES: 'EC' }[name.slice(0, 2)];
      assert.equal(spec.kind, kind, name);
      assert.equal('pss' in spec && spec.pss === true, name.startsWith('PS'), name);
    }
    assert.equal(ALGORITHMS.ES256.curve, 'P-256');
    assert.equal(ALGORITHMS.ES384.curve, 'P-384');
    assert.equal(ALGORITHMS.ES512.curve, 'P-521');
    assert.equal(ALGORITHMS.EdDSA.curve, 'Ed25519');
  });

  test('fixed signature lengths match what node:crypto produces', () => {
    const input = 'header.payload';
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      assert.equal(signRaw(alg, 'x'.repeat(64), input).length, ALGORITHMS[alg].signatureBytes);
    }
    const curves = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' } as const;
    for (const [alg, namedCurve] of Object.entries(curves) as [keyof typeof curves, string][]) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve });
      assert.equal(signRaw(alg, privateKey, input).length, ALGORITHMS[alg].signatureBytes, alg);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    assert.equal(signRaw('EdDSA', privateKey, input).length, ALGORITHMS.EdDSA.signatureBytes);
    // RSA signature length depends on the key, so it is not fixed here.
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const) {
      assert.equal('signatureBytes' in ALGORITHMS[alg], false, alg);
    }
  });
});

describe('isAlgorithm', () => {
  test('true for every supported algorithm', () => {
    for (const alg of EXPECTED) assert.equal(isAlgorithm(alg), true, alg);
  });

  test('false for none in any casing, other casings, padded names, and unimplemented algorithms', () => {
    for (const value of [
      'none',
      'None',
      'NONE',
      'nOnE',
      'hs256',
      'Hs256',
      'HS256 ',
      ' HS256',
      'HS256\u0000',
      'eddsa',
      'EDDSA',
      'Ed25519',
      'ES256K',
      'HS1',
      'RS1',
      'PS1',
      'RSA-OAEP',
      'dir',
      'A128KW',
      '',
    ]) {
      assert.equal(isAlgorithm(value), false, JSON.stringify(value));
    }
  });

  test('false for names inherited from Object.prototype', () => {
    for (const value of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
    ]) {
      assert.equal(isAlgorithm(value), false, value);
    }
  });

  test('false for anything that is not a string', () => {
    for (const value of [
      undefined,
      null,
      0,
      256,
      true,
      ['HS256'],
      { HS256: true },
      Symbol('HS256'),
      new String('HS256'),
    ]) {
      assert.equal(isAlgorithm(value), false, String(value));
    }
  });
});

describe('key size rules', () => {
  test('minSecretBytes is the hash length for HS algorithms (RFC 7518 3.2) and 0 otherwise', () => {
    assert.equal(minSecretBytes('HS256'), 32);
    assert.equal(minSecretBytes('HS384'), 48);
    assert.equal(minSecretBytes('HS512'), 64);
    for (const alg of EXPECTED.filter((a) => !a.startsWith('HS')) as Algorithm[]) {
      assert.equal(minSecretBytes(alg), 0, alg);
    }
  });

  test('RSA keys need at least 2048 bits', () => {
    assert.equal(MIN_RSA_BITS, 2048);
  });
});
