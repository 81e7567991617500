import { sql } from '../sql/sql.ts';
import type { Store } from '../types.ts';
import type { TableContext } from './table-context.ts';

/** One-time recovery codes as hashes; a code is used by one conditional UPDATE, so only once. */
export function createRecoveryCodesTable({ db }: TableContext): Store['recoveryCodes'] {
  const d = db.dialect;
  return {
    async replace(userId, hashes, nowMs) {
      await db.transaction(async (tx) => {
        await tx.run(sql`DELETE FROM user_recovery_codes WHERE user_id = ${userId}`);
        for (const hash of new Set(hashes))
          await tx.run(sql`
            INSERT INTO user_recovery_codes (user_id, code_hash, used_at, created_at)
            VALUES (${userId}, ${hash}, NULL, ${nowMs})`);
      });
    },

    async use(userId, hash, nowMs) {
      const changed = await db.run(sql`
        UPDATE user_recovery_codes SET used_at = ${nowMs}
        WHERE user_id = ${userId} AND code_hash = ${hash} AND used_at IS NULL`);
      return changed > 0;
    },

    async remaining(userId) {
      const row = await db.row(sql`
        SELECT COUNT(*) AS n FROM user_recovery_codes WHERE user_id = ${userId} AND used_at IS NULL`);
      return row === undefined ? 0 : d.readInteger(row.n);
    },

    async removeAll(userId) {
      await db.run(sql`DELETE FROM user_recovery_codes WHERE user_id = ${userId}`);
    },
  };
}
