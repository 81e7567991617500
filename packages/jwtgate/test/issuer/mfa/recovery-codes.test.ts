import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateRecoveryCodes, hashRecoveryCode } from '../../../src/issuer/mfa/recovery-codes.ts';

describe('recovery codes', () => {
  test('ten distinct codes of 16 base32 characters (80 bits) in groups of four', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  });

  test('the hash ignores case, dashes and spaces; never the code itself; junk is null', () => {
    const [code] = generateRecoveryCodes(1) as [string];
    const hash = hashRecoveryCode(code);
    assert.match(hash ?? '', /^sha256:[A-Za-z0-9_-]{43}$/);
    assert.ok(!(hash ?? '').includes(code.replace(/-/g, '')));
    assert.equal(hashRecoveryCode(code.toLowerCase().replace(/-/g, ' ')), hash);
    assert.equal(hashRecoveryCode(code.replace(/-/g, '')), hash);
    for (const junk of ['', 'ABCD-EFGH', '1111-1111-1111-1111', 'x'.repeat(100), 42])
      assert.equal(hashRecoveryCode(junk), null, String(junk));
  });
});
