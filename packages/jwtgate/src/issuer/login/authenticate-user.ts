import { dummyVerify, hashPassword, verifyPassword } from '../../store/hash-password.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';

export interface UserLockout {
  /** Consecutive failed logins that lock the account. */
  readonly maxFailures: number;
  /** How long a lock lasts. */
  readonly lockMs: number;
}

export interface LoginAttempt {
  readonly username: string;
  readonly password: string;
  /** For the audit log only. */
  readonly address: string;
  readonly clientId: string;
}

export type LoginOutcome =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly reason: 'unknown_user' | 'wrong_password' | 'disabled' | 'locked' };

/** Why a step after the password failed (for the audit log). */
export type FactorFailure =
  | 'wrong_otp'
  | 'reused_otp'
  | 'wrong_recovery_code'
  | 'passkey_failed'
  | 'locked'
  | 'disabled';

/** Where a sign-in comes from, for the audit log only. */
export interface SignInContext {
  readonly address: string;
  readonly clientId: string;
}

export interface AuthenticateDeps {
  readonly store: Store;
  /** null: no lock-out (the per-address throttle still applies). */
  readonly lockout: UserLockout | null;
  readonly now: () => number;
  readonly onError?: (err: unknown) => void;
}

/**
 * Checks a username and password. With `completes: false` (more steps follow) a success neither
 * clears the failure count nor is audited: completeSignIn does both at the end. Every failure looks the same to the caller's user (the reason
 * is for the audit log) and costs the same: an unknown user, a locked or a disabled account still
 * spend one password verification. Consecutive failures lock the account for `lockMs`; a success
 * resets the count and upgrades an outdated hash. Audits login.succeeded, login.failed and
 * login.locked, with the user id (or 'unknown') as actor, never the password or the typed name.
 *
 * @example
 * const outcome = await authenticateUser({ store, lockout, now }, { username, password, address, clientId });
 */
export async function authenticateUser(
  deps: AuthenticateDeps,
  attempt: LoginAttempt,
  options: { readonly completes?: boolean } = {},
): Promise<LoginOutcome> {
  const { store, now } = deps;
  const audit = auditor(deps, attempt);
  const fail = async (reason: Exclude<LoginOutcome, { ok: true }>['reason'], user?: UserRecord) => {
    await audit('login.failed', user, { reason });
    return { ok: false, reason } as const;
  };

  const user = attempt.username === '' ? undefined : await store.users.getByUsername(attempt.username);
  if (user === undefined) {
    await dummyVerify(attempt.password);
    // The same store write a known user's wrong password costs (it matches no row), so the
    // answer takes as long either way.
    await store.users.countLoginFailure('', now());
    return fail('unknown_user');
  }
  const at = now();
  if (user.lockedUntil !== null && user.lockedUntil > at) {
    await dummyVerify(attempt.password);
    return fail('locked', user);
  }
  const check = await verifyPassword(user.passwordHash, attempt.password);
  if (user.disabled) return fail('disabled', user);
  if (!check.ok) {
    const counted = await countSignInFailure(deps, user, attempt, 'wrong_password');
    return { ok: false, reason: counted === 'locked' ? 'locked' : 'wrong_password' };
  }
  // Locked by a parallel guess while this password was being checked: refused like the others.
  if (options.completes === false) {
    if (user.lockedUntil !== null && user.lockedUntil > now()) return fail('locked', user);
  } else if (!(await store.users.clearLoginFailures(user.id, now()))) return fail('locked', user);
  const updated = check.needsRehash
    ? await store.users.update(user.id, { passwordHash: await hashPassword(attempt.password) })
    : user;
  if (options.completes !== false)
    await audit('login.succeeded', user, check.needsRehash ? { rehashed: true } : {});
  return { ok: true, user: updated ?? user };
}

/**
 * The end of a sign-in of several steps: the failure count is cleared only now (a right password
 * followed by wrong codes keeps counting towards the lock-out), and login.succeeded is audited
 * with the methods used. False when the account was locked meanwhile.
 */
export async function completeSignIn(
  deps: AuthenticateDeps,
  user: UserRecord,
  context: SignInContext,
  amr: readonly string[],
): Promise<boolean> {
  if (!(await deps.store.users.clearLoginFailures(user.id, deps.now()))) {
    await auditor(deps, context)('login.failed', user, { reason: 'locked' });
    return false;
  }
  await auditor(deps, context)('login.succeeded', user, { amr: [...amr] });
  return true;
}

function auditor(deps: AuthenticateDeps, context: SignInContext) {
  return (
    type: 'login.succeeded' | 'login.failed' | 'login.locked',
    user: UserRecord | undefined,
    extra: Record<string, unknown> = {},
  ) =>
    recordAudit(
      deps.store,
      {
        type,
        actor: user?.id ?? 'unknown',
        subject: user?.id ?? null,
        detail: { address: context.address, client_id: context.clientId, ...extra },
      },
      deps.onError,
    );
}

/**
 * Counts a failed sign-in step of a known user, a wrong password or a wrong second factor alike:
 * one count, so guessing codes after a right password locks the account as guessing passwords
 * does. Counted in the store in one statement, so guesses sent in parallel each count. Audits
 * login.failed (with the reason) and, when this failure locks the account, login.locked.
 * 'locked': the account was locked already (nothing counted), or this failure locked it.
 */
export async function countSignInFailure(
  deps: AuthenticateDeps,
  user: UserRecord,
  context: SignInContext,
  reason: 'wrong_password' | FactorFailure,
): Promise<'counted' | 'locked'> {
  const audit = auditor(deps, context);
  const at = deps.now();
  const failures = await deps.store.users.countLoginFailure(user.id, at);
  if (failures === null) {
    await audit('login.failed', user, { reason: 'locked' });
    return 'locked';
  }
  await audit('login.failed', user, { reason });
  const lockout = deps.lockout;
  if (lockout === null || failures < lockout.maxFailures) return 'counted';
  await deps.store.users.lockLogin(user.id, at + lockout.lockMs, at);
  await audit('login.locked', user, { failures, locked_until: new Date(at + lockout.lockMs).toISOString() });
  return 'locked';
}

/**
 * Whether a user known from an earlier step (the password, a passkey) may still sign in: enabled,
 * and not locked at this instant (by a parallel guess, or a lock that began since).
 */
export async function checkSignInAllowed(
  deps: AuthenticateDeps,
  userId: string,
): Promise<{ ok: true; user: UserRecord } | { ok: false; reason: 'disabled' | 'locked'; user?: UserRecord }> {
  const user = await deps.store.users.get(userId);
  if (user === undefined || user.disabled)
    return { ok: false, reason: 'disabled', ...(user ? { user } : {}) };
  if (user.lockedUntil !== null && user.lockedUntil > deps.now())
    return { ok: false, reason: 'locked', user };
  return { ok: true, user };
}
