import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMfaRequired, NO_MFA_POLICY } from '../../../src/issuer/mfa/mfa-policy.ts';
import type { UserRecord } from '../../../src/store/types.ts';

const user = (overrides: Partial<UserRecord> = {}): UserRecord => ({
  id: 'usr_1',
  username: 'u',
  passwordHash: 'x',
  email: null,
  name: null,
  roles: { webapp: ['reader'], '*': ['staff'] },
  admin: false,
  disabled: false,
  failedLogins: 0,
  lockedUntil: null,
  createdAt: 0,
  updatedAt: 0,
  ...overrides,
});

describe('isMfaRequired', () => {
  test('the user flag, administrators under the policy, holders of a policy role for any client', () => {
    assert.equal(isMfaRequired(user(), NO_MFA_POLICY), false);
    assert.equal(isMfaRequired(user({ mfaRequired: true }), NO_MFA_POLICY), true);
    assert.equal(isMfaRequired(user({ admin: true }), NO_MFA_POLICY), false);
    assert.equal(isMfaRequired(user({ admin: true }), { admins: true, roles: [] }), true);
    assert.equal(isMfaRequired(user(), { admins: true, roles: [] }), false);
    assert.equal(isMfaRequired(user(), { admins: false, roles: ['reader'] }), true);
    assert.equal(isMfaRequired(user(), { admins: false, roles: ['staff'] }), true, 'roles for every client');
    assert.equal(isMfaRequired(user(), { admins: false, roles: ['billing'] }), false);
  });
});
