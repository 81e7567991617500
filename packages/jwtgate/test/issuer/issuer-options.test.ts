import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ISSUER_DEFAULTS, jwksMaxAgeSeconds, resolveIssuerOptions } from '../../src/issuer/issuer-options.ts';

const fails = (given: Parameters<typeof resolveIssuerOptions>[0], message: RegExp) =>
  assert.throws(
    () => resolveIssuerOptions(given),
    (e: Error & { code?: string }) => e.code === 'ERR_ISSUER_CONFIG' && message.test(e.message),
  );

describe('resolveIssuerOptions', () => {
  test('defaults: ES256, 5-minute tokens, http://127.0.0.1:8080, .data/issuer.db', () => {
    const o = resolveIssuerOptions({});
    assert.equal(o.issuerUrl, 'http://127.0.0.1:8080');
    assert.equal(o.alg, 'ES256');
    assert.equal(o.tokenLifetimeSeconds, 300);
    assert.equal(o.storeFile, '.data/issuer.db');
    assert.equal(o.maxBodyBytes, 16 * 1024);
    assert.deepEqual(o.lockout, ISSUER_DEFAULTS.lockout);
    assert.equal(resolveIssuerOptions({ host: '::1', port: 9 }).issuerUrl, 'http://[::1]:9');
  });

  test('second factors: required of nobody by default; roles are checked; DPoP nonces off by default', () => {
    const o = resolveIssuerOptions({});
    assert.deepEqual(o.mfa, { admins: false, roles: [] });
    assert.deepEqual(o.dpop, { requireNonce: false });
    assert.deepEqual(resolveIssuerOptions({ mfa: { roles: ['billing-admin'] } }).mfa, {
      admins: false,
      roles: ['billing-admin'],
    });
    fails({ mfa: { roles: ['two words'] } }, /second factor roles: "two words" is not a role/);
  });

  test('the issuer URL is an origin; a trailing slash is dropped', () => {
    assert.equal(
      resolveIssuerOptions({ issuerUrl: 'https://auth.example/' }).issuerUrl,
      'https://auth.example',
    );
    fails({ issuerUrl: 'https://auth.example/tenant' }, /no path/);
    fails({ issuerUrl: 'ftp://auth.example' }, /https/);
    fails({ issuerUrl: 'not a url' }, /issuer URL/);
  });

  test('algorithms: HS256 only in tutorial mode', () => {
    fails({ alg: 'HS256' }, /only for --tutorial/);
    fails({ alg: 'none' }, /expected one of ES256, RS256, PS256, EdDSA/);
    for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA'])
      assert.equal(resolveIssuerOptions({ alg }).alg, alg);
  });

  test('times are checked; a rotation period must exceed the pre-publication time', () => {
    fails({ tokenLifetimeSeconds: 0 }, /token lifetime/);
    fails({ rotateEverySeconds: 60, prePublishSeconds: 60 }, /rotation period/);
    assert.equal(resolveIssuerOptions({ rotateEverySeconds: 86_400 * 30 }).rotateEverySeconds, 2_592_000);
  });

  test('the JWKS max-age stays under the pre-publication time', () => {
    assert.equal(jwksMaxAgeSeconds({ prePublishSeconds: 3600 }), 300);
    assert.equal(jwksMaxAgeSeconds({ prePublishSeconds: 120 }), 60);
    assert.equal(jwksMaxAgeSeconds({ prePublishSeconds: 1 }), 0);
  });
});
