import type { UserRecord } from '../../store/types.ts';

/** Who must sign in with a second factor, besides users flagged one by one (`mfaRequired`). */
export interface MfaPolicy {
  /** Every administrator (users who may use the console). */
  readonly admins: boolean;
  /** Holders of any of these roles, for any client (the roles of `user.roles`, `*` included). */
  readonly roles: readonly string[];
}

export const NO_MFA_POLICY: MfaPolicy = Object.freeze({ admins: false, roles: Object.freeze([]) });

/**
 * Whether `user` must use a second factor: flagged so, an administrator under `admins`, or holding
 * one of the policy's roles for any client (a role is held, not granted per sign-in: a user who
 * has it for one application signs in strongly to all).
 *
 * @example
 * if (isMfaRequired(user, { admins: true, roles: ['billing-admin'] })) { ... }
 */
export function isMfaRequired(user: UserRecord, policy: MfaPolicy): boolean {
  if (user.mfaRequired === true) return true;
  if (policy.admins && user.admin) return true;
  if (policy.roles.length === 0) return false;
  return Object.values(user.roles).some((roles) => roles.some((role) => policy.roles.includes(role)));
}
