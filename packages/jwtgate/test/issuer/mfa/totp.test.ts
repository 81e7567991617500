// TOTP against RFC 6238 Appendix B's SHA-1 vectors (the 20-byte ASCII secret "12345678901234567890",
// 8-digit codes there; the last six digits are the 6-digit codes), with the clock given.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Secret } from 'otpauth';
import {
  generateTotpSecret,
  matchTotpCode,
  normalizeTotpCode,
  totpUri,
} from '../../../src/issuer/mfa/totp.ts';

const SECRET = Secret.fromLatin1('12345678901234567890').base32;
// RFC 6238 Appendix B: T (seconds) -> TOTP (SHA-1, 8 digits).
const VECTORS: readonly [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
];

describe('TOTP', () => {
  test('the RFC 6238 vectors match at their time, naming their step (T = floor(t / 30))', () => {
    for (const [t, code] of VECTORS)
      assert.equal(matchTotpCode(SECRET, code.slice(-6), t * 1000), Math.floor(t / 30), String(t));
  });

  test('one step either side is accepted, two are not', () => {
    const [t, code] = VECTORS[3] as [number, string];
    const six = code.slice(-6);
    assert.equal(matchTotpCode(SECRET, six, (t + 30) * 1000), Math.floor(t / 30));
    assert.equal(matchTotpCode(SECRET, six, (t - 30) * 1000), Math.floor(t / 30));
    assert.equal(matchTotpCode(SECRET, six, (t + 61) * 1000), null);
    assert.equal(matchTotpCode(SECRET, six, (t - 61) * 1000), null);
  });

  test('spaces are dropped; anything but six digits never matches', () => {
    assert.equal(normalizeTotpCode(' 005 924 '), '005924');
    assert.equal(matchTotpCode(SECRET, '005 924', 1234567890 * 1000), Math.floor(1234567890 / 30));
    for (const bad of ['', '89005924', '00592', 'abcdef', '0059245'])
      assert.equal(matchTotpCode(SECRET, bad, 1234567890 * 1000), null, bad);
  });

  test('a new secret is 160 random bits in base32; the URI names issuer, account and parameters', () => {
    const a = generateTotpSecret();
    assert.match(a, /^[A-Z2-7]{32}$/);
    assert.notEqual(a, generateTotpSecret());
    const uri = new URL(totpUri(a, { issuer: 'id.example', account: 'alice' }));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/id.example:alice');
    assert.equal(uri.searchParams.get('secret'), a);
    assert.equal(uri.searchParams.get('issuer'), 'id.example');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
  });
});
