import { isUniqueViolation, numberColumn, type PostgresContext, type Row } from './postgres-database.ts';
import { definedOnly } from './sqlite-database.ts';
import { toUser, userExists } from './sqlite-users.ts';
import type { Store, UserRecord } from './types.ts';
import { normalizeUsername, usernameKey } from './username-key.ts';

const COLUMNS =
  'id, username, password_hash, email, name, roles, admin, disabled, failed_logins, locked_until, ' +
  'created_at, updated_at';

export function postgresUsers({ now, query, transaction }: PostgresContext): Store['users'] {
  const fromRow = (row: Row) => toUser(row, numberColumn);
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
        const { rows } = await query(
          `INSERT INTO users (${COLUMNS}, username_key) ` +
            `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
          toParams(record),
        );
        return fromRow(rows[0] as Row);
      } catch (error) {
        if (isUniqueViolation(error)) throw userExists(user);
        throw error;
      }
    },

    async get(id) {
      const { rows } = await query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return rows[0] === undefined ? undefined : fromRow(rows[0]);
    },

    async getByUsername(username) {
      const { rows } = await query(`SELECT ${COLUMNS} FROM users WHERE username_key = $1`, [
        usernameKey(username),
      ]);
      return rows[0] === undefined ? undefined : fromRow(rows[0]);
    },

    async list() {
      // COLLATE "C": ids sort by code point, as in SQLite, whatever the database's collation.
      const { rows } = await query(`SELECT ${COLUMNS} FROM users ORDER BY created_at, id COLLATE "C"`);
      return rows.map(fromRow);
    },

    async update(id, changes) {
      return transaction(async (connection) => {
        // FOR UPDATE: a concurrent update of the same user waits, so neither loses the other's fields.
        const { rows } = await query(
          `SELECT ${COLUMNS} FROM users WHERE id = $1 FOR UPDATE`,
          [id],
          connection,
        );
        if (rows[0] === undefined) return undefined;
        const current = fromRow(rows[0]);
        const next: UserRecord = {
          ...current,
          updatedAt: now(),
          ...definedOnly(changes),
          // Not changeable, whatever an untyped caller passes.
          id: current.id,
          createdAt: current.createdAt,
        };
        try {
          const updated = await query(
            'UPDATE users SET username = $2, password_hash = $3, email = $4, name = $5, roles = $6, admin = $7, ' +
              'disabled = $8, failed_logins = $9, locked_until = $10, updated_at = $11, username_key = $12 ' +
              `WHERE id = $1 RETURNING ${COLUMNS}`,
            // created_at ($11 of toParams) is not changeable, so not a parameter here; the later ones shift down.
            toParams(next).filter((_, index) => index !== 10),
            connection,
          );
          return fromRow(updated.rows[0] as Row);
        } catch (error) {
          if (isUniqueViolation(error)) throw userExists(next);
          throw error;
        }
      });
    },

    async remove(id) {
      const { rowCount } = await query('DELETE FROM users WHERE id = $1', [id]);
      return (rowCount ?? 0) > 0;
    },

    async countLoginFailure(id, nowMs) {
      const { rows } = await query(
        'UPDATE users SET failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END, ' +
          'locked_until = NULL, updated_at = $2 WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) ' +
          'RETURNING failed_logins',
        [id, nowMs],
      );
      return rows[0] === undefined ? null : Number(rows[0].failed_logins);
    },

    async lockLogin(id, untilMs, nowMs) {
      await query(
        'UPDATE users SET failed_logins = 0, locked_until = $2, updated_at = $3 ' +
          'WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $3)',
        [id, untilMs, nowMs],
      );
    },

    async clearLoginFailures(id, nowMs) {
      const { rowCount } = await query(
        'UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $2 ' +
          'WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)',
        [id, nowMs],
      );
      return (rowCount ?? 0) > 0;
    },
  };
}

/** The values for $1..$13: COLUMNS order, then username_key. */
function toParams(user: UserRecord): unknown[] {
  return [
    user.id,
    normalizeUsername(user.username),
    user.passwordHash,
    user.email ?? null,
    user.name ?? null,
    JSON.stringify(user.roles ?? {}),
    user.admin ? 1 : 0,
    user.disabled ? 1 : 0,
    user.failedLogins ?? 0,
    user.lockedUntil ?? null,
    user.createdAt,
    user.updatedAt,
    usernameKey(user.username),
  ];
}
