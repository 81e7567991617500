import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createOwnTokenVerifier } from '../../../src/issuer/tokens/verify-own-token.ts';

const ISS = 'https://auth.example';
const NOW = 1_800_000_000;

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({
      client_id: 'svc',
      jti: 'j1',
      sub: 'svc',
      iss: ISS,
      aud: 'https://api.example',
      iat: NOW,
      exp: NOW + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header })
      .sign(privateKey);
  const verifier = createOwnTokenVerifier(ISS, { keys: [jwk] }, () => NOW * 1000);
  return { sign, verifier };
}

describe('createOwnTokenVerifier', () => {
  test('accepts its own access tokens for any audience', async () => {
    const { sign, verifier } = await setup();
    assert.equal((await verifier.verify(await sign({}))).client_id, 'svc');
    assert.equal(
      (await verifier.verify(await sign({ aud: 'https://other.example' }))).aud,
      'https://other.example',
    );
    assert.equal(
      (await verifier.verify(await sign({ aud: ['https://a.example', 'https://b.example'] }))).jti,
      'j1',
    );
  });

  test('refuses another issuer, another typ, expired, missing jti or client_id, and garbage', async () => {
    const { sign, verifier } = await setup();
    for (const token of [
      await sign({ iss: 'https://evil.example' }),
      await sign({}, { typ: 'JWT' }),
      await sign({ exp: NOW - 1 }),
      await sign({ jti: undefined }),
      await sign({ client_id: undefined }),
      await sign({ aud: undefined }),
      'not.a.token',
      '',
    ]) {
      await assert.rejects(verifier.verify(token));
    }
  });
});
