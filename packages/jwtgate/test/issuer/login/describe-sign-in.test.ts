import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeSignIn } from '../../../src/issuer/login/describe-sign-in.ts';

describe('describeSignIn', () => {
  test('amr (RFC 8176) and acr for each way of signing in', () => {
    assert.deepEqual(describeSignIn(['pwd']), { amr: ['pwd'], acr: 'urn:jwtgate:acr:pwd' });
    assert.deepEqual(describeSignIn(['pwd', 'otp']), {
      amr: ['pwd', 'otp', 'mfa'],
      acr: 'urn:jwtgate:acr:mfa',
    });
    assert.deepEqual(describeSignIn(['passkey']), { amr: ['hwk', 'user', 'mfa'], acr: 'phr' });
    assert.deepEqual(describeSignIn(['pwd', 'passkey']), { amr: ['pwd', 'hwk', 'user', 'mfa'], acr: 'phr' });
  });

  test('a method given twice counts once', () => {
    assert.deepEqual(describeSignIn(['pwd', 'pwd']), { amr: ['pwd'], acr: 'urn:jwtgate:acr:pwd' });
  });
});
