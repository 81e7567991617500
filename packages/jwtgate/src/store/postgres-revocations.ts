import { numberColumn, type PostgresContext, type Row } from './postgres-database.ts';
import { DEFAULT_FEED_LIMIT } from './sqlite-revocations.ts';
import type { RevocationRecord, Store } from './types.ts';

const COLUMNS = 'seq, jti, exp, revoked_at';

/**
 * The revocation feed's cursor (`since(seq)`) needs seqs to become visible in increasing order: a
 * reader that has seen seq 8 moves its cursor to 8 and never looks below it again. An identity
 * column alone does not give that under concurrent writers: transaction A takes seq 7, B takes 8,
 * B commits first, a reader sees 8 and skips 7 for ever once A commits. So `add` serialises its
 * writers with a transaction-level advisory lock (one per schema), taken before the seq is drawn
 * and released only after COMMIT (PostgreSQL makes a commit visible before it releases the
 * transaction's locks): a seq is drawn only once every smaller one is committed or rolled back.
 * Readers take no lock. Gaps that remain (rolled-back inserts, an ON CONFLICT that drew a value)
 * are permanent and harmless. Rows inserted by other means than `add` bypass this ordering.
 */
export function postgresRevocations({ now, query, transaction }: PostgresContext): Store['revocations'] {
  return {
    async add(jti, exp) {
      if (typeof jti !== 'string' || jti === '') {
        throw new TypeError('jwtgate store: jti must be a non-empty string');
      }
      if (!Number.isFinite(exp)) throw new TypeError('jwtgate store: exp must be a finite number of seconds');
      return transaction(async (connection) => {
        await query(
          "SELECT pg_advisory_xact_lock(hashtext('jwtgate.revocations:' || coalesce(current_schema(), '')))",
          [],
          connection,
        );
        // Revoking a jti again is a no-op that returns the first entry: the token (and so its exp)
        // is the same, and a new seq would make feed readers apply the same revocation twice.
        const inserted = await query(
          'INSERT INTO revocations (jti, exp, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING ' +
            `RETURNING ${COLUMNS}`,
          // Round up: a fractional exp must not end the revocation before the token dies.
          [jti, Math.ceil(exp), now()],
          connection,
        );
        const row =
          inserted.rows[0] ??
          (await query(`SELECT ${COLUMNS} FROM revocations WHERE jti = $1`, [jti], connection)).rows[0];
        return toRevocation(row as Row);
      });
    },

    async since(seq, limit = DEFAULT_FEED_LIMIT) {
      if (!Number.isSafeInteger(limit) || limit < 0) {
        throw new RangeError('jwtgate store: limit must be a non-negative integer');
      }
      const { rows } = await query(
        `SELECT ${COLUMNS} FROM revocations WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [seq, limit],
      );
      return rows.map(toRevocation);
    },

    async isRevoked(jti) {
      const { rows } = await query('SELECT 1 AS found FROM revocations WHERE jti = $1', [jti]);
      return rows.length > 0;
    },

    async prune(nowSeconds) {
      // At exp the token is no longer accepted (RFC 7519 4.1.4), so its entry is no longer needed.
      // A caller whose verifiers allow clock skew passes nowSeconds minus that skew.
      const { rowCount } = await query('DELETE FROM revocations WHERE exp <= $1', [nowSeconds]);
      return rowCount ?? 0;
    },
  };
}

function toRevocation(row: Row): RevocationRecord {
  return {
    seq: numberColumn(row.seq),
    jti: String(row.jti),
    exp: numberColumn(row.exp),
    revokedAt: numberColumn(row.revoked_at),
  };
}
