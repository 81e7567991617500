import { randomBytes } from 'node:crypto';
import { createRecord, readOwn } from '../../lib/own-record.ts';
import { checkPasswordPolicy, hashPassword } from '../../store/hash-password.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import { normalizeUsername } from '../../store/username-key.ts';
import { recordAudit } from '../audit.ts';
import { IssuerError } from '../errors.ts';
import { describeFactors, type FactorsView, resetFactors } from '../mfa/manage-factors.ts';
import { createGrantAccessTokens } from '../tokens/grant-access-tokens.ts';

/** Roles per client id; the key `*` gives roles for every client. */
export type UserRoles = Readonly<Record<string, readonly string[]>>;

/** What an operator gives to create a user (CLI flags or admin API JSON). */
export interface UserSpec {
  readonly username: string;
  readonly email?: string | null;
  readonly name?: string | null;
  readonly roles?: UserRoles;
  readonly admin?: boolean;
  /** The initial password; without one a random password is generated and returned once. */
  readonly password?: string;
  /** Must sign in with a second factor (asked to set one up at the next sign-in if they have none). */
  readonly mfaRequired?: boolean;
}

/** A user as shown to operators: everything but the password hash. */
export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly roles: UserRoles;
  readonly admin: boolean;
  readonly disabled: boolean;
  /** This user must use a second factor (the issuer's policy may require one of more users). */
  readonly mfa_required: boolean;
  readonly failed_logins: number;
  readonly locked_until: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

// No control, format or separator characters (spaces included): a username is typed and shown.
const USERNAME = /^[^\p{C}\p{Z}]{1,64}$/u;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const NAME = /^[^\p{Cc}\p{Cf}]{1,200}$/u;
// A role is one token of a comma-separated list, so no commas and no spaces.
const ROLE = /^[^\s,]{1,128}$/;
// As a client id (manage-clients.ts), or `*` for every client.
const CLIENT_KEY = /^(?:\*|[A-Za-z0-9][A-Za-z0-9._~-]{0,127})$/;

function invalid(message: string): IssuerError {
  return new IssuerError('ERR_USER_INVALID', message);
}

function notFound(username: string): IssuerError {
  return new IssuerError('ERR_USER_NOT_FOUND', `no user ${username}`);
}

/** A new user id, the user's stable `sub`: `usr_` + 16 random bytes in base64url (22 characters). */
export function generateUserId(): string {
  return `usr_${randomBytes(16).toString('base64url')}`;
}

/** A generated password: 18 random bytes (144 bits) in base64url, 24 characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export function toUserView(u: UserRecord): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    name: u.name,
    roles: u.roles,
    admin: u.admin,
    disabled: u.disabled,
    mfa_required: u.mfaRequired === true,
    failed_logins: u.failedLogins,
    locked_until: u.lockedUntil === null ? null : new Date(u.lockedUntil).toISOString(),
    created_at: new Date(u.createdAt).toISOString(),
    updated_at: new Date(u.updatedAt).toISOString(),
  };
}

/** The username as it will be stored, or an error that says what a username may be. */
export function checkUsername(username: unknown): string {
  const normalized = typeof username === 'string' ? normalizeUsername(username) : '';
  if (!USERNAME.test(normalized))
    throw invalid('username: 1-64 characters, without spaces or control characters');
  return normalized;
}

/**
 * Checks roles given as a map of client id (or `*`) to role names; duplicate roles are dropped
 * and a client with no roles is left out.
 */
export function checkRoles(roles: unknown): Record<string, string[]> {
  const out = createRecord<string[]>();
  if (roles === undefined) return out;
  if (roles === null || typeof roles !== 'object' || Array.isArray(roles))
    throw invalid('roles: expected an object of client id -> list of roles');
  for (const [client, list] of Object.entries(roles)) {
    if (!CLIENT_KEY.test(client)) throw invalid(`roles: "${client}" is not a client id (or *)`);
    if (!Array.isArray(list)) throw invalid(`roles.${client}: expected a list of roles`);
    const unique: string[] = [];
    for (const role of list) {
      if (typeof role !== 'string' || !ROLE.test(role))
        throw invalid(
          `roles.${client}: "${String(role)}" is not a role (1-128 characters, no spaces or commas)`,
        );
      if (!unique.includes(role)) unique.push(role);
    }
    if (unique.length > 0) out[client] = unique;
  }
  return out;
}

/**
 * `client=role1,role2` arguments as roles. An empty list (`client=`) is kept, so that set-roles
 * can remove that client's roles.
 *
 * @example
 * parseRoleAssignments(['webapp=billing,reader', '*=staff']); // { webapp: ['billing', 'reader'], '*': ['staff'] }
 */
export function parseRoleAssignments(assignments: readonly string[]): Record<string, string[]> {
  const out = createRecord<string[]>();
  for (const assignment of assignments) {
    const i = assignment.indexOf('=');
    if (i < 1) throw invalid(`roles: "${assignment}" is not client=role1,role2`);
    const client = assignment.slice(0, i);
    const roles = assignment
      .slice(i + 1)
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    out[client] = [...(readOwn(out, client) ?? []), ...roles];
  }
  return out;
}

function checkPassword(password: string): void {
  const problem = checkPasswordPolicy(password);
  if (problem !== null) throw invalid(`password: ${problem}`);
}

function optionalText(value: unknown, what: string, pattern: RegExp, expected: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !pattern.test(value.trim()))
    throw invalid(`${what}: expected ${expected}`);
  return value.trim();
}

/** The user for `username` (case-insensitively), or else for the user id `username`. */
async function findUser(store: Store, username: string): Promise<UserRecord> {
  const user =
    (await store.users.getByUsername(username)) ??
    (username.startsWith('usr_') ? await store.users.get(username) : undefined);
  if (user === undefined) throw notFound(username);
  return user;
}

/**
 * Creates a user. Without `spec.password` a strong password is generated and returned here once;
 * either way only its argon2id hash is stored.
 */
export async function addUser(
  store: Store,
  spec: UserSpec,
  actor: string,
): Promise<{ user: UserView; password: string | null }> {
  const username = checkUsername(spec.username);
  const email = optionalText(spec.email, 'email', EMAIL, 'an address such as jane@example.com');
  if (email !== null && email.length > 254) throw invalid('email: at most 254 characters');
  const name = optionalText(spec.name, 'name', NAME, '1-200 characters without control characters');
  const roles = checkRoles(spec.roles);
  if (spec.password !== undefined) checkPassword(spec.password);
  if ((await store.users.getByUsername(username)) !== undefined)
    throw new IssuerError('ERR_USER_EXISTS', `user ${username} already exists`);
  const generated = spec.password === undefined ? generatePassword() : null;
  const record = await store.users
    .create({
      id: generateUserId(),
      username,
      passwordHash: await hashPassword(spec.password ?? (generated as string)),
      email,
      name,
      roles,
      admin: spec.admin === true,
      disabled: false,
      ...(spec.mfaRequired === true ? { mfaRequired: true } : {}),
    })
    .catch((error: unknown) => {
      // Created by someone else since the check above.
      if (error instanceof Error && /already exists/.test(error.message))
        throw new IssuerError('ERR_USER_EXISTS', `user ${username} already exists`, { cause: error });
      throw error;
    });
  await recordAudit(store, {
    type: 'user.created',
    actor,
    subject: record.id,
    detail: {
      username: record.username,
      roles: record.roles,
      admin: record.admin,
      ...(record.mfaRequired ? { mfa_required: true } : {}),
    },
  });
  return { user: toUserView(record), password: generated };
}

export async function listUsers(store: Store): Promise<UserView[]> {
  return (await store.users.list()).map(toUserView);
}

/** One user, with a summary of their second factors. */
export async function showUser(store: Store, username: string): Promise<UserView & { factors: FactorsView }> {
  const user = await findUser(store, username);
  return { ...toUserView(user), factors: await describeFactors(store, user.id) };
}

/** Requires (or stops requiring) a second factor of this user at every sign-in. */
export async function setUserMfaRequired(
  store: Store,
  username: string,
  required: boolean,
  actor: string,
): Promise<UserView> {
  const user = await findUser(store, username);
  const updated =
    (await store.users.update(user.id, { mfaRequired: required })) ?? notFoundAfterAll(username);
  await recordAudit(store, {
    type: 'user.mfa_required_changed',
    actor,
    subject: user.id,
    detail: { username: updated.username, mfa_required: required },
  });
  return toUserView(updated);
}

/**
 * Removes every second factor of a user who lost their device: the authenticator app, the
 * recovery codes and the passkeys. If a second factor is required of them, the next sign-in asks
 * them to set one up.
 */
export async function resetUserFactors(store: Store, username: string, actor: string): Promise<FactorsView> {
  const user = await findUser(store, username);
  return resetFactors({ store, kek: null, now: Date.now }, user, actor);
}

/**
 * Sets the roles of the clients named in `roles`, replacing what each had; a client given an empty
 * list loses its roles. Other clients' roles are kept.
 */
export async function setUserRoles(
  store: Store,
  username: string,
  roles: Readonly<Record<string, readonly string[]>>,
  actor: string,
): Promise<UserView> {
  if (Object.keys(roles).length === 0) throw invalid('roles: give at least one client=role1,role2');
  const given = checkRoles(roles);
  const user = await findUser(store, username);
  const next = createRecord<readonly string[]>();
  for (const [client, list] of Object.entries(user.roles)) next[client] = list;
  for (const client of Object.keys(roles)) {
    const list = readOwn(given, client);
    if (list === undefined) delete next[client];
    else next[client] = list;
  }
  const updated = (await store.users.update(user.id, { roles: next })) ?? notFoundAfterAll(username);
  await recordAudit(store, {
    type: 'user.roles_changed',
    actor,
    subject: user.id,
    detail: { username: updated.username, before: user.roles, after: updated.roles },
  });
  return toUserView(updated);
}

/**
 * Ends every grant of the user: refresh tokens deleted, access tokens on the revocation list (a
 * running issuer's feed and Redis relay pick the entries up from the store within a poll).
 */
function endGrants(store: Store, userId: string, actor: string): Promise<number> {
  return createGrantAccessTokens(store, () => {}).revokeAccount(userId, actor);
}

/**
 * Disables or enables a user. A disabled user cannot log in, and the grants they hold end (their
 * refresh tokens stop working, their access tokens are revoked); enabling also clears a lock-out
 * from failed logins.
 */
export async function setUserDisabled(
  store: Store,
  username: string,
  disabled: boolean,
  actor: string,
): Promise<UserView> {
  const user = await findUser(store, username);
  const updated =
    (await store.users.update(
      user.id,
      disabled ? { disabled } : { disabled, failedLogins: 0, lockedUntil: null },
    )) ?? notFoundAfterAll(username);
  const ended = disabled ? await endGrants(store, user.id, actor) : 0;
  await recordAudit(store, {
    type: disabled ? 'user.disabled' : 'user.enabled',
    actor,
    subject: user.id,
    detail: { username: updated.username, ...(disabled ? { grants_ended: ended } : {}) },
  });
  return toUserView(updated);
}

/**
 * Replaces the password at once (the old one stops working, and the grants made with it end) and
 * clears a lock-out. Without
 * `password` a strong one is generated and returned here once.
 */
export async function resetUserPassword(
  store: Store,
  username: string,
  password: string | undefined,
  actor: string,
): Promise<{ user: UserView; password: string | null }> {
  if (password !== undefined) checkPassword(password);
  const user = await findUser(store, username);
  const generated = password === undefined ? generatePassword() : null;
  const passwordHash = await hashPassword(password ?? (generated as string));
  const updated =
    (await store.users.update(user.id, { passwordHash, failedLogins: 0, lockedUntil: null })) ??
    notFoundAfterAll(username);
  const ended = await endGrants(store, user.id, actor);
  await recordAudit(store, {
    type: 'user.password_reset',
    actor,
    subject: user.id,
    detail: { username: updated.username, generated: generated !== null, grants_ended: ended },
  });
  return { user: toUserView(updated), password: generated };
}

export async function removeUser(store: Store, username: string, actor: string): Promise<UserView> {
  const user = await findUser(store, username);
  if (!(await store.users.remove(user.id))) throw notFound(username);
  const ended = await endGrants(store, user.id, actor);
  await recordAudit(store, {
    type: 'user.removed',
    actor,
    subject: user.id,
    detail: { username: user.username, grants_ended: ended },
  });
  return toUserView(user);
}

/** The user was removed between the look-up and the write (another operator, another replica). */
function notFoundAfterAll(username: string): never {
  throw notFound(username);
}
