import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { KeySet } from '../../src/keys/key-set.ts';
import { type TrustedKey, trustPublicKey } from '../../src/keys/trusted-key.ts';

const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const ecPublic = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;

function rsaKey(kid: string | undefined, extra: { alg?: string; anyKid?: boolean } = {}): TrustedKey {
  const key = trustPublicKey(rsaPublic, { kid, ...extra });
  assert.equal(typeof key, 'object');
  return key as TrustedKey;
}
function ecKey(kid: string | undefined, anyKid = false): TrustedKey {
  return trustPublicKey(ecPublic, { kid, anyKid }) as TrustedKey;
}
function secret(): TrustedKey {
  return {
    kid: undefined,
    anyKid: true,
    kind: 'oct',
    curve: undefined,
    alg: undefined,
    key: createSecretKey(Buffer.alloc(64, 1)),
    bytes: 64,
  };
}

describe('KeySet.candidates', () => {
  test('a kid selects only keys with that kid that fit the alg', () => {
    const a = rsaKey('a');
    const b = rsaKey('b');
    const e = ecKey('a');
    const set = new KeySet([a, b, e]);
    assert.deepEqual(set.candidates('a', 'RS256'), [a]);
    assert.deepEqual(set.candidates('a', 'ES256'), [e]);
    assert.deepEqual(set.candidates('b', 'RS256'), [b]);
    assert.deepEqual(set.candidates('b', 'ES256'), []);
  });

  test('two keys sharing a kid are both candidates, in order', () => {
    const first = rsaKey('same');
    const second = rsaKey('same');
    assert.deepEqual(new KeySet([first, second]).candidates('same', 'PS256'), [first, second]);
  });

  test('no kid: every fitting key is a candidate', () => {
    const a = rsaKey('a');
    const n = rsaKey(undefined);
    const e = ecKey('e');
    const set = new KeySet([a, e, n]);
    assert.deepEqual(set.candidates(undefined, 'RS256'), [a, n]);
    assert.deepEqual(set.candidates(undefined, 'ES256'), [e]);
    assert.deepEqual(set.candidates(undefined, 'EdDSA'), []);
  });

  test('an unknown kid matches only keys configured to match any kid', () => {
    const jwksKey = rsaKey('a');
    assert.deepEqual(new KeySet([jwksKey]).candidates('other', 'RS256'), []);
    const single = rsaKey(undefined, { anyKid: true });
    assert.deepEqual(new KeySet([single]).candidates('other', 'RS256'), [single]);
    const s = secret();
    assert.deepEqual(new KeySet([s]).candidates('../../dev/null', 'HS256'), [s]);
  });

  test('a kid that names a key never falls back to any-kid keys', () => {
    const named = rsaKey('a', { alg: 'RS256' });
    const any = rsaKey(undefined, { anyKid: true });
    const set = new KeySet([named, any]);
    assert.deepEqual(set.candidates('a', 'RS256'), [named]);
    // 'a' is pinned to RS256: a PS256 token naming 'a' gets no candidate at all.
    assert.deepEqual(set.candidates('a', 'PS256'), []);
  });

  test('kids are looked up as exact strings, never as paths or object properties', () => {
    const a = rsaKey('a');
    const proto = rsaKey('__proto__');
    const set = new KeySet([a, proto]);
    for (const kid of [
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '../a',
      './a',
      'a/',
      'A',
      ' a',
      'a\u0000',
      '',
    ]) {
      assert.deepEqual(set.candidates(kid, 'RS256'), [], JSON.stringify(kid));
    }
    assert.deepEqual(set.candidates('__proto__', 'RS256'), [proto]);
  });

  test('a pinned alg and the key type filter candidates', () => {
    const pinned = rsaKey('p', { alg: 'RS256' });
    const set = new KeySet([pinned]);
    assert.deepEqual(set.candidates('p', 'RS256'), [pinned]);
    for (const alg of ['RS384', 'PS256', 'HS256', 'ES256'] as const)
      assert.deepEqual(set.candidates('p', alg), []);
  });

  test('at most 8 candidates per token, however many keys fit', () => {
    const many = Array.from({ length: 20 }, () => rsaKey(undefined));
    const set = new KeySet(many);
    assert.deepEqual(set.candidates(undefined, 'RS256'), many.slice(0, 8));
    const sameKid = Array.from({ length: 20 }, () => rsaKey('dup'));
    assert.equal(new KeySet(sameKid).candidates('dup', 'RS256').length, 8);
  });
});

describe('KeySet', () => {
  test('size, has and a frozen copy of the keys', () => {
    const a = rsaKey('a');
    const input = [a, ecKey('e')];
    const set = new KeySet(input);
    assert.equal(set.size, 2);
    assert.ok(set.has(a));
    assert.equal(set.has(rsaKey('a')), false, 'membership is by identity');
    assert.ok(Object.isFrozen(set.keys));
    input.push(rsaKey('late'));
    assert.equal(set.size, 2);
    assert.deepEqual(set.candidates('late', 'RS256'), []);
  });
});
