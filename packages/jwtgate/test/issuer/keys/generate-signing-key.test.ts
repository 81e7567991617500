import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { calculateJwkThumbprint, importJWK, jwtVerify, SignJWT } from 'jose';
import {
  generateSigningKey,
  isSigningAlgorithm,
  publicPart,
  SIGNING_ALGORITHMS,
} from '../../../src/issuer/keys/generate-signing-key.ts';
import { decryptPrivateJwk } from '../../../src/store/key-encryption.ts';

const NOW = 1_800_000_000_000;

describe('generateSigningKey', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    test(`${alg}: kid is the RFC 7638 thumbprint; the public JWK verifies what the private one signs`, async () => {
      const key = await generateSigningKey(alg, { state: 'current', now: NOW, activatesAt: NOW, kek: null });
      assert.equal(key.alg, alg);
      assert.equal(key.state, 'current');
      assert.equal(key.createdAt, NOW);
      assert.equal(key.activatesAt, NOW);
      assert.equal(key.removeAt, null);
      const priv = JSON.parse(key.privateJwk);
      assert.equal(priv.kid, key.kid);
      assert.equal(await calculateJwkThumbprint(key.publicJwk), key.kid);
      assert.deepEqual(
        Object.keys(key.publicJwk).filter((m) => ['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(m)),
        [],
      );
      assert.equal(key.publicJwk.use, 'sig');
      const token = await new SignJWT({ a: 1 }).setProtectedHeader({ alg }).sign(await importJWK(priv, alg));
      await jwtVerify(token, await importJWK(key.publicJwk, alg));
    });
  }

  test('with a key encryption key the private JWK is stored encrypted', async () => {
    const kek = Buffer.alloc(32, 9);
    const key = await generateSigningKey('EdDSA', { state: 'next', now: NOW, activatesAt: NOW + 1, kek });
    assert.ok(key.privateJwk.startsWith('enc:v1:'));
    assert.equal(JSON.parse(decryptPrivateJwk(key.privateJwk, kek)).kid, key.kid);
  });

  test('HS256 is not a signing algorithm of the issuer (tutorial mode only)', () => {
    assert.equal(isSigningAlgorithm('HS256'), false);
    assert.equal(isSigningAlgorithm('none'), false);
    assert.equal(isSigningAlgorithm('ES256'), true);
  });

  test('publicPart keeps only public members', () => {
    assert.deepEqual(publicPart({ kty: 'OKP', crv: 'Ed25519', x: 'X', d: 'D' }, 'k', 'EdDSA'), {
      kty: 'OKP',
      crv: 'Ed25519',
      x: 'X',
      kid: 'k',
      alg: 'EdDSA',
      use: 'sig',
    });
  });
});
