import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { Store, TotpRecord } from '../types.ts';
import { readNullableInteger, type TableContext } from './table-context.ts';

const COLUMNS = raw('user_id, secret, confirmed_at, last_step, created_at');

/**
 * Users' TOTP authenticators, one row per user. Every change is one conditional statement, so two
 * requests racing (a code typed twice, an enrolment restarted while it is confirmed) cannot both
 * succeed.
 */
export function createTotpTable({ db }: TableContext): Store['totp'] {
  const d = db.dialect;
  return {
    async get(userId) {
      const row = await db.row(sql`SELECT ${COLUMNS} FROM user_totp WHERE user_id = ${userId}`);
      return row === undefined ? undefined : readTotp(row, d);
    },

    async begin(userId, secret, nowMs) {
      // An active authenticator is never replaced here: it is removed first, on purpose.
      const changed = await db.run(sql`
        INSERT INTO user_totp (user_id, secret, confirmed_at, last_step, created_at)
        VALUES (${userId}, ${secret}, NULL, NULL, ${nowMs})
        ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
          last_step = NULL
        WHERE user_totp.confirmed_at IS NULL`);
      return changed > 0;
    },

    async confirm(userId, step, nowMs) {
      const changed = await db.run(sql`
        UPDATE user_totp SET confirmed_at = ${nowMs}, last_step = ${step}
        WHERE user_id = ${userId} AND confirmed_at IS NULL`);
      return changed > 0;
    },

    async useStep(userId, step) {
      const changed = await db.run(sql`
        UPDATE user_totp SET last_step = ${step}
        WHERE user_id = ${userId} AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < ${step})`);
      return changed > 0;
    },

    async remove(userId) {
      return (await db.run(sql`DELETE FROM user_totp WHERE user_id = ${userId}`)) > 0;
    },
  };
}

function readTotp(row: Row, d: SqlDialect): TotpRecord {
  return {
    userId: String(row.user_id),
    secret: String(row.secret),
    confirmedAt: readNullableInteger(row.confirmed_at, d),
    lastStep: readNullableInteger(row.last_step, d),
    createdAt: d.readInteger(row.created_at),
  };
}
