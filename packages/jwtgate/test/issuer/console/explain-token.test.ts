import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { explainToken } from '../../../src/issuer/console/explain-token.ts';

const ISSUER = 'https://auth.example';
const AUD = 'https://billing.example';

describe('explainToken', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const now = Date.now();
  const deps = {
    issuerUrl: ISSUER,
    publicJwks: { keys: [jwk] },
    isRevoked: async () => false,
    now: () => now,
  };
  const mint = (claims: Record<string, unknown> = {}, exp = '5m') =>
    new SignJWT({ client_id: 'svc', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUD)
      .setSubject('svc')
      .setJti('jti-1')
      .setIssuedAt(Math.floor(now / 1000) - 60)
      .setExpirationTime(exp)
      .sign(privateKey);

  test('a valid token: every step passed, times in words', async () => {
    const x = await explainToken(await mint(), '', [AUD], deps);
    assert.equal(x.valid, true);
    assert.ok(x.steps.every((s) => s.status === 'passed'));
    assert.deepEqual(
      x.steps.map((s) => s.step),
      ['parse', 'issuer', 'algorithm', 'key', 'signature', 'claims', 'revocation'],
    );
    assert.equal(x.times.find((t) => t.claim === 'iat')?.relative, 'issued 1 min ago');
  });

  test('expired: claims failed, revocation not reached', async () => {
    const x = await explainToken(
      await mint({}, (Math.floor(now / 1000) - 3600) as unknown as string),
      '',
      [AUD],
      deps,
    );
    assert.equal(x.code, 'ERR_TOKEN_EXPIRED');
    assert.equal(x.steps.find((s) => s.step === 'claims')?.status, 'failed');
    assert.equal(x.steps.find((s) => s.step === 'revocation')?.status, 'not reached');
    assert.equal(x.times.find((t) => t.claim === 'exp')?.relative, 'expired 1 h ago');
  });

  test('the audience: given, else the known ones, else the token own', async () => {
    const token = await mint();
    assert.equal(
      (await explainToken(token, 'https://other.example', [AUD], deps)).code,
      'ERR_AUDIENCE_MISMATCH',
    );
    assert.equal(
      (await explainToken(token, '', ['https://other.example'], deps)).code,
      'ERR_AUDIENCE_MISMATCH',
    );
    assert.equal((await explainToken(token, '', [], deps)).valid, true);
  });

  test('revoked: the revocation step fails', async () => {
    const x = await explainToken(await mint(), '', [AUD], {
      ...deps,
      isRevoked: async (jti) => jti === 'jti-1',
    });
    assert.equal(x.code, 'ERR_TOKEN_REVOKED');
    assert.equal(x.steps.at(-1)?.status, 'failed');
  });

  test('garbage: a message, the parse step failed, nothing decoded', async () => {
    const x = await explainToken('hello', '', [AUD], deps);
    assert.equal(x.header, null);
    assert.match(x.malformed ?? '', /three base64url parts/);
    assert.equal(x.steps[0]?.status, 'failed');
  });
});
