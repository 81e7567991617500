import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { NewUser, Store, UserRecord } from '../types.ts';
import { normalizeUsername, usernameKey } from '../username-key.ts';
import { definedOnly, readNullableInteger, readNullableText, type TableContext } from './table-context.ts';

const COLUMNS = raw(
  'id, username, password_hash, email, name, roles, admin, disabled, failed_logins, locked_until, ' +
    'created_at, updated_at',
);

export function createUsersTable({ db, now }: TableContext): Store['users'] {
  const d = db.dialect;
  const toUser = (row: Row) => readUser(row, d);
  return {
    async create(user) {
      const at = now();
      const u: UserRecord = { ...user, failedLogins: 0, lockedUntil: null, createdAt: at, updatedAt: at };
      try {
        const row = await db.row(sql`
          INSERT INTO users (${COLUMNS}, username_key) VALUES (${u.id}, ${normalizeUsername(u.username)},
            ${u.passwordHash}, ${u.email ?? null}, ${u.name ?? null}, ${d.writeJson(u.roles ?? {})},
            ${d.writeBoolean(u.admin)}, ${d.writeBoolean(u.disabled)}, ${u.failedLogins}, ${u.lockedUntil},
            ${u.createdAt}, ${u.updatedAt}, ${usernameKey(u.username)})
          RETURNING ${COLUMNS}`);
        return toUser(row as Row);
      } catch (error) {
        if (d.isUniqueViolation(error)) throw userExists(user);
        throw error;
      }
    },

    async get(id) {
      const row = await db.row(sql`SELECT ${COLUMNS} FROM users WHERE id = ${id}`);
      return row === undefined ? undefined : toUser(row);
    },

    async getByUsername(username) {
      const row = await db.row(
        sql`SELECT ${COLUMNS} FROM users WHERE username_key = ${usernameKey(username)}`,
      );
      return row === undefined ? undefined : toUser(row);
    },

    async list() {
      const rows = await db.rows(
        sql`SELECT ${COLUMNS} FROM users ORDER BY created_at, ${d.byCodePoint('id')}`,
      );
      return rows.map(toUser);
    },

    async update(id, changes) {
      return db.transaction(async (tx) => {
        // Locked: a concurrent update of the same user waits, so neither loses the other's fields.
        const row = await tx.row(sql`SELECT ${COLUMNS} FROM users WHERE id = ${id}${d.forUpdate}`);
        if (row === undefined) return undefined;
        const current = toUser(row);
        const u: UserRecord = {
          ...current,
          updatedAt: now(),
          ...definedOnly(changes),
          // Not changeable, whatever an untyped caller passes.
          id: current.id,
          createdAt: current.createdAt,
        };
        try {
          const updated = await tx.row(sql`
            UPDATE users SET username = ${normalizeUsername(u.username)}, username_key = ${usernameKey(u.username)},
              password_hash = ${u.passwordHash}, email = ${u.email ?? null}, name = ${u.name ?? null},
              roles = ${d.writeJson(u.roles ?? {})}, admin = ${d.writeBoolean(u.admin)},
              disabled = ${d.writeBoolean(u.disabled)}, failed_logins = ${u.failedLogins ?? 0},
              locked_until = ${u.lockedUntil ?? null}, updated_at = ${u.updatedAt}
            WHERE id = ${id}
            RETURNING ${COLUMNS}`);
          return toUser(updated as Row);
        } catch (error) {
          if (d.isUniqueViolation(error)) throw userExists(u);
          throw error;
        }
      });
    },

    async remove(id) {
      return (await db.run(sql`DELETE FROM users WHERE id = ${id}`)) > 0;
    },

    async countLoginFailure(id, nowMs) {
      // One statement, so parallel guesses each count (no read-then-write race).
      const row = await db.row(sql`
        UPDATE users SET failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END,
          locked_until = NULL, updated_at = ${nowMs}
        WHERE id = ${id} AND (locked_until IS NULL OR locked_until <= ${nowMs})
        RETURNING failed_logins`);
      return row === undefined ? null : d.readInteger(row.failed_logins);
    },

    async lockLogin(id, untilMs, nowMs) {
      await db.run(sql`
        UPDATE users SET failed_logins = 0, locked_until = ${untilMs}, updated_at = ${nowMs}
        WHERE id = ${id} AND (locked_until IS NULL OR locked_until <= ${nowMs})`);
    },

    async clearLoginFailures(id, nowMs) {
      const changed = await db.run(sql`
        UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = ${nowMs}
        WHERE id = ${id} AND (locked_until IS NULL OR locked_until <= ${nowMs})`);
      return changed > 0;
    },
  };
}

/** The error for a taken id or username; the message says the user exists, never more. */
function userExists(user: Pick<NewUser, 'id' | 'username'>): Error {
  return new Error(
    `jwtgate store: a user with id "${user.id}" or username "${normalizeUsername(user.username)}" already exists`,
  );
}

function readUser(row: Row, d: SqlDialect): UserRecord {
  return {
    id: String(row.id),
    username: String(row.username),
    passwordHash: String(row.password_hash),
    email: readNullableText(row.email),
    name: readNullableText(row.name),
    roles: d.readJson<Record<string, string[]>>(row.roles) ?? {},
    admin: d.readBoolean(row.admin),
    disabled: d.readBoolean(row.disabled),
    failedLogins: d.readInteger(row.failed_logins),
    lockedUntil: readNullableInteger(row.locked_until, d),
    createdAt: d.readInteger(row.created_at),
    updatedAt: d.readInteger(row.updated_at),
  };
}
