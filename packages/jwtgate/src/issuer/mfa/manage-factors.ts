import { decryptAtRest, encryptAtRest, TOTP_SECRET } from '../../store/key-encryption.ts';
import type { PasskeyRecord, Store, UserRecord } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';
import { IssuerError } from '../errors.ts';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes.ts';
import { generateTotpSecret, matchTotpCode, totpUri } from './totp.ts';

// A user's second factors, for the console (an administrator for a user), the account page (the
// user for themselves), the sign-in steps and the CLI: one place that enrols, checks, lists and
// removes them, and audits every change. TOTP secrets are encrypted at rest under the key
// encryption key, like signing keys; recovery codes are kept as hashes.

export interface FactorDeps {
  readonly store: Store;
  /** The key encryption key (JWTGATE_KEY_ENCRYPTION_KEY), or null: TOTP secrets are then stored in the clear. */
  readonly kek: Buffer | null;
  readonly now: () => number;
}

/** A passkey as shown: never its public key. */
export interface PasskeyView {
  readonly id: string;
  readonly name: string;
  readonly device_type: string;
  readonly backed_up: boolean;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

/** A user's factors as shown to them and to operators. */
export interface FactorsView {
  readonly totp: 'none' | 'pending' | 'active';
  readonly recovery_codes_left: number;
  readonly passkeys: readonly PasskeyView[];
}

export function toPasskeyView(p: PasskeyRecord): PasskeyView {
  return {
    id: p.id,
    name: p.name,
    device_type: p.deviceType,
    backed_up: p.backedUp,
    created_at: new Date(p.createdAt).toISOString(),
    last_used_at: p.lastUsedAt === null ? null : new Date(p.lastUsedAt).toISOString(),
  };
}

export async function describeFactors(store: Store, userId: string): Promise<FactorsView> {
  const [totp, left, passkeys] = await Promise.all([
    store.totp.get(userId),
    store.recoveryCodes.remaining(userId),
    store.passkeys.listForUser(userId),
  ]);
  return {
    totp: totp === undefined ? 'none' : totp.confirmedAt === null ? 'pending' : 'active',
    recovery_codes_left: left,
    passkeys: passkeys.map(toPasskeyView),
  };
}

/** Whether the user has a factor a sign-in can ask for after the password. */
export function hasSecondFactor(factors: FactorsView): boolean {
  return factors.totp === 'active' || factors.passkeys.length > 0;
}

/** What the user needs to set up an authenticator app: the secret (for typing in), its URI (the QR code). */
export interface TotpSetup {
  readonly secret: string;
  readonly uri: string;
}

const audit = (
  store: Store,
  type: Parameters<typeof recordAudit>[1]['type'],
  actor: string,
  user: UserRecord,
  detail = {},
) => recordAudit(store, { type, actor, subject: user.id, detail: { username: user.username, ...detail } });

/**
 * Starts (or restarts) setting up an authenticator app: a new secret, pending until a code from
 * it is confirmed. Refused while one is active (remove it first: a new one must not silently
 * replace the one the user relies on).
 */
export async function beginTotpSetup(
  deps: FactorDeps,
  user: UserRecord,
  issuerName: string,
): Promise<TotpSetup> {
  const secret = generateTotpSecret();
  const began = await deps.store.totp.begin(
    user.id,
    encryptAtRest(secret, deps.kek, TOTP_SECRET),
    deps.now(),
  );
  if (!began)
    throw new IssuerError('ERR_FACTOR_INVALID', 'an authenticator app is set up already; remove it first');
  return { secret, uri: totpUri(secret, { issuer: issuerName, account: user.username }) };
}

/** The pending set-up again (to show its QR code once more), or undefined when none is pending. */
export async function pendingTotpSetup(
  deps: FactorDeps,
  user: UserRecord,
  issuerName: string,
): Promise<TotpSetup | undefined> {
  const record = await deps.store.totp.get(user.id);
  if (record === undefined || record.confirmedAt !== null) return undefined;
  const secret = decryptAtRest(record.secret, deps.kek, TOTP_SECRET);
  return { secret, uri: totpUri(secret, { issuer: issuerName, account: user.username }) };
}

/**
 * Activates the pending authenticator when `code` is one of its codes (the user has set it up
 * right). When the user has no unused recovery codes, a new set is made and returned, to be shown
 * once; otherwise null.
 */
export async function confirmTotpSetup(
  deps: FactorDeps,
  user: UserRecord,
  code: string,
  actor: string,
): Promise<{ recoveryCodes: string[] | null }> {
  const record = await deps.store.totp.get(user.id);
  if (record === undefined || record.confirmedAt !== null)
    throw new IssuerError('ERR_FACTOR_INVALID', 'no authenticator app set-up is pending; start again');
  const step = matchTotpCode(decryptAtRest(record.secret, deps.kek, TOTP_SECRET), code, deps.now());
  if (step === null)
    throw new IssuerError(
      'ERR_FACTOR_INVALID',
      'that code is not from this authenticator set-up (or its time is off); type the code the app shows now',
    );
  if (!(await deps.store.totp.confirm(user.id, step, deps.now())))
    throw new IssuerError('ERR_FACTOR_INVALID', 'no authenticator app set-up is pending; start again');
  await audit(deps.store, 'user.totp_enrolled', actor, user);
  return { recoveryCodes: await recoveryCodesIfNone(deps, user, actor) };
}

export type TotpCheck = 'ok' | 'wrong' | 'reused' | 'none';

/**
 * Checks a code of the user's active authenticator: within one step either side of now, and of a
 * later step than any code accepted before (RFC 6238 5.2: a code is accepted once). The step is
 * recorded in the same statement that checks it, so two requests with one code cannot both pass.
 */
export async function checkTotpCode(deps: FactorDeps, userId: string, code: string): Promise<TotpCheck> {
  const record = await deps.store.totp.get(userId);
  if (record === undefined || record.confirmedAt === null) return 'none';
  const step = matchTotpCode(decryptAtRest(record.secret, deps.kek, TOTP_SECRET), code, deps.now());
  if (step === null) return 'wrong';
  return (await deps.store.totp.useStep(userId, step)) ? 'ok' : 'reused';
}

export async function removeTotp(deps: FactorDeps, user: UserRecord, actor: string): Promise<void> {
  if (!(await deps.store.totp.remove(user.id)))
    throw new IssuerError('ERR_FACTOR_NOT_FOUND', `${user.username} has no authenticator app`);
  await audit(deps.store, 'user.totp_removed', actor, user);
}

/** Uses one recovery code; true when it was an unused code of this user (it is spent now). */
export async function useRecoveryCode(deps: FactorDeps, user: UserRecord, code: string): Promise<boolean> {
  const hash = hashRecoveryCode(code);
  if (hash === null || !(await deps.store.recoveryCodes.use(user.id, hash, deps.now()))) return false;
  const left = await deps.store.recoveryCodes.remaining(user.id);
  await audit(deps.store, 'user.recovery_code_used', user.id, user, { left });
  return true;
}

/** A new set of recovery codes, replacing every earlier one; shown once, kept as hashes. */
export async function regenerateRecoveryCodes(
  deps: FactorDeps,
  user: UserRecord,
  actor: string,
): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await deps.store.recoveryCodes.replace(
    user.id,
    codes.map((c) => hashRecoveryCode(c) as string),
    deps.now(),
  );
  await audit(deps.store, 'user.recovery_codes_generated', actor, user, { count: codes.length });
  return codes;
}

async function recoveryCodesIfNone(
  deps: FactorDeps,
  user: UserRecord,
  actor: string,
): Promise<string[] | null> {
  if ((await deps.store.recoveryCodes.remaining(user.id)) > 0) return null;
  return regenerateRecoveryCodes(deps, user, actor);
}

/** Keeps a verified passkey registration; new recovery codes when the user has none (shown once). */
export async function addPasskey(
  deps: FactorDeps,
  user: UserRecord,
  passkey: Omit<PasskeyRecord, 'createdAt' | 'lastUsedAt'>,
  actor: string,
): Promise<{ passkey: PasskeyView; recoveryCodes: string[] | null }> {
  const added = await deps.store.passkeys.add(passkey).catch((error: unknown) => {
    if (error instanceof Error && /already/.test(error.message))
      throw new IssuerError('ERR_FACTOR_INVALID', 'this passkey is registered already', { cause: error });
    throw error;
  });
  await audit(deps.store, 'user.passkey_added', actor, user, { passkey: added.id, name: added.name });
  return { passkey: toPasskeyView(added), recoveryCodes: await recoveryCodesIfNone(deps, user, actor) };
}

export async function removePasskey(
  deps: FactorDeps,
  user: UserRecord,
  id: string,
  actor: string,
): Promise<void> {
  if (!(await deps.store.passkeys.remove(user.id, id)))
    throw new IssuerError('ERR_FACTOR_NOT_FOUND', `${user.username} has no such passkey`);
  await audit(deps.store, 'user.passkey_removed', actor, user, { passkey: id });
}

/** Removes every second factor of the user (a lost device): the authenticator app, recovery codes, passkeys. */
export async function resetFactors(deps: FactorDeps, user: UserRecord, actor: string): Promise<FactorsView> {
  const before = await describeFactors(deps.store, user.id);
  await deps.store.totp.remove(user.id);
  await deps.store.recoveryCodes.removeAll(user.id);
  await deps.store.passkeys.removeAll(user.id);
  await audit(deps.store, 'user.factors_reset', actor, user, {
    totp: before.totp,
    passkeys: before.passkeys.length,
    recovery_codes: before.recovery_codes_left,
  });
  return describeFactors(deps.store, user.id);
}
