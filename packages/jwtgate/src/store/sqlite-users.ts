import {
  definedOnly,
  fromJsonColumn,
  isUniqueViolation,
  nullableStringColumn,
  numberColumn,
  type Row,
  type SqliteContext,
} from './sqlite-database.ts';
import type { NewUser, Store, UserRecord } from './types.ts';
import { normalizeUsername, usernameKey } from './username-key.ts';

const COLUMNS =
  'id, username, password_hash, email, name, roles, admin, disabled, failed_logins, locked_until, ' +
  'created_at, updated_at';

export function sqliteUsers({ now, statement, transaction }: SqliteContext): Store['users'] {
  const read = (id: string): UserRecord | undefined => {
    const row = statement(`SELECT ${COLUMNS} FROM users WHERE id = ?`).get(id);
    return row === undefined ? undefined : toUser(row);
  };

  return {
    async create(user) {
      const at = now();
      const record: UserRecord = {
        ...user,
        failedLogins: 0,
        lockedUntil: null,
        createdAt: at,
        updatedAt: at,
      };
      try {
        statement(
          `INSERT INTO users (${COLUMNS}, username_key) VALUES (:id, :username, :password_hash, :email, :name, ` +
            ':roles, :admin, :disabled, :failed_logins, :locked_until, :created_at, :updated_at, :username_key)',
        ).run(toParams(record));
      } catch (error) {
        if (isUniqueViolation(error)) throw userExists(user);
        throw error;
      }
      return read(user.id) as UserRecord;
    },

    async get(id) {
      return read(id);
    },

    async getByUsername(username) {
      const row = statement(`SELECT ${COLUMNS} FROM users WHERE username_key = ?`).get(usernameKey(username));
      return row === undefined ? undefined : toUser(row);
    },

    async list() {
      return statement(`SELECT ${COLUMNS} FROM users ORDER BY created_at, id`)
        .all()
        .map((row) => toUser(row));
    },

    async update(id, changes) {
      return transaction(() => {
        const current = read(id);
        if (current === undefined) return undefined;
        const next: UserRecord = {
          ...current,
          updatedAt: now(),
          ...definedOnly(changes),
          // Not changeable, whatever an untyped caller passes.
          id: current.id,
          createdAt: current.createdAt,
        };
        try {
          statement(
            'UPDATE users SET username = :username, username_key = :username_key, password_hash = :password_hash, ' +
              'email = :email, name = :name, roles = :roles, admin = :admin, disabled = :disabled, ' +
              'failed_logins = :failed_logins, locked_until = :locked_until, updated_at = :updated_at WHERE id = :id',
          ).run(withoutCreatedAt(toParams(next)));
        } catch (error) {
          if (isUniqueViolation(error)) throw userExists(next);
          throw error;
        }
        return read(id);
      });
    },

    async remove(id) {
      return Number(statement('DELETE FROM users WHERE id = ?').run(id).changes) > 0;
    },

    async countLoginFailure(id, nowMs) {
      const row = statement(
        'UPDATE users SET failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END, ' +
          'locked_until = NULL, updated_at = :now WHERE id = :id AND (locked_until IS NULL OR locked_until <= :now) ' +
          'RETURNING failed_logins',
      ).get({ id, now: nowMs });
      return row === undefined ? null : Number(row.failed_logins);
    },

    async lockLogin(id, untilMs, nowMs) {
      statement(
        'UPDATE users SET failed_logins = 0, locked_until = :until, updated_at = :now ' +
          'WHERE id = :id AND (locked_until IS NULL OR locked_until <= :now)',
      ).run({ id, until: untilMs, now: nowMs });
    },

    async clearLoginFailures(id, nowMs) {
      const done = statement(
        'UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = :now ' +
          'WHERE id = :id AND (locked_until IS NULL OR locked_until <= :now)',
      ).run({ id, now: nowMs });
      return Number(done.changes) > 0;
    },
  };
}

/** The error for a taken id or username; the message says the user exists, never more. */
export function userExists(user: Pick<NewUser, 'id' | 'username'>): Error {
  return new Error(
    `jwtgate store: a user with id "${user.id}" or username "${normalizeUsername(user.username)}" already exists`,
  );
}

function toParams(user: UserRecord) {
  return {
    id: user.id,
    username: normalizeUsername(user.username),
    username_key: usernameKey(user.username),
    password_hash: user.passwordHash,
    email: user.email ?? null,
    name: user.name ?? null,
    roles: JSON.stringify(user.roles ?? {}),
    admin: user.admin ? 1 : 0,
    disabled: user.disabled ? 1 : 0,
    failed_logins: user.failedLogins ?? 0,
    locked_until: user.lockedUntil ?? null,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

// node:sqlite rejects named parameters that the statement does not use.
function withoutCreatedAt({ created_at: _, ...params }: ReturnType<typeof toParams>) {
  return params;
}

/** A users row as a record; shared with the PostgreSQL store, whose columns read the same way. */
export function toUser(row: Row, number: (value: unknown) => number = numberColumn): UserRecord {
  const lockedUntil = row.locked_until;
  return {
    id: String(row.id),
    username: String(row.username),
    passwordHash: String(row.password_hash),
    email: nullableStringColumn(row.email),
    name: nullableStringColumn(row.name),
    roles: fromJsonColumn<Record<string, string[]>>(row.roles) ?? {},
    admin: number(row.admin) !== 0,
    disabled: number(row.disabled) !== 0,
    failedLogins: number(row.failed_logins),
    lockedUntil: lockedUntil === null || lockedUntil === undefined ? null : number(lockedUntil),
    createdAt: number(row.created_at),
    updatedAt: number(row.updated_at),
  };
}
