import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { RevocationRecord, Store } from '../types.ts';
import type { TableContext } from './table-context.ts';

/** How many entries `since` returns when the caller gives no limit. */
export const DEFAULT_FEED_LIMIT = 1000;

const COLUMNS = raw('seq, jti, exp, revoked_at');

/**
 * The revocation feed's cursor (`since(seq)`) needs seqs to become visible in increasing order: a
 * reader that has seen seq 8 moves its cursor to 8 and never looks below it again. An identity
 * column alone does not give that under concurrent PostgreSQL writers: transaction A takes seq 7,
 * B takes 8, B commits first, a reader sees 8 and skips 7 for ever once A commits. So `add`
 * serialises its writers with the `jwtgate.revocations` lock, taken before the seq is drawn and
 * released only after COMMIT (PostgreSQL makes a commit visible before it releases the
 * transaction's locks): a seq is drawn only once every smaller one is committed or rolled back.
 * SQLite has one writer at a time anyway. Readers take no lock. Gaps that remain (rolled-back
 * inserts, an ON CONFLICT that drew a value) are permanent and harmless. Rows inserted by other
 * means than `add` bypass this ordering.
 */
export function createRevocationsTable({ db, now }: TableContext): Store['revocations'] {
  const d = db.dialect;
  return {
    async add(jti, exp) {
      if (typeof jti !== 'string' || jti === '') {
        throw new TypeError('jwtgate store: jti must be a non-empty string');
      }
      if (!Number.isFinite(exp)) throw new TypeError('jwtgate store: exp must be a finite number of seconds');
      return db.transaction(async (tx) => {
        await tx.lock('jwtgate.revocations', 'schema');
        // Revoking a jti again is a no-op that returns the first entry: the token (and so its exp)
        // is the same, and a new seq would make feed readers apply the same revocation twice.
        // exp is rounded up: a fractional exp must not end the revocation before the token dies.
        const inserted = await tx.row(
          sql`INSERT INTO revocations (jti, exp, revoked_at) VALUES (${jti}, ${Math.ceil(exp)}, ${now()}) ON CONFLICT (jti) DO NOTHING RETURNING ${COLUMNS}`,
        );
        const row = inserted ?? (await tx.row(sql`SELECT ${COLUMNS} FROM revocations WHERE jti = ${jti}`));
        return readRevocation(row as Row, d);
      });
    },

    async since(seq, limit = DEFAULT_FEED_LIMIT) {
      if (!Number.isSafeInteger(limit) || limit < 0) {
        throw new RangeError('jwtgate store: limit must be a non-negative integer');
      }
      const rows = await db.rows(
        sql`SELECT ${COLUMNS} FROM revocations WHERE seq > ${seq} ORDER BY seq LIMIT ${limit}`,
      );
      return rows.map((row) => readRevocation(row, d));
    },

    async isRevoked(jti) {
      return (await db.row(sql`SELECT 1 AS found FROM revocations WHERE jti = ${jti}`)) !== undefined;
    },

    async prune(nowSeconds) {
      // At exp the token is no longer accepted (RFC 7519 4.1.4), so its entry is no longer needed.
      // A caller whose verifiers allow clock skew passes nowSeconds minus that skew.
      return db.run(sql`DELETE FROM revocations WHERE exp <= ${nowSeconds}`);
    },
  };
}

function readRevocation(row: Row, d: SqlDialect): RevocationRecord {
  return {
    seq: d.readInteger(row.seq),
    jti: String(row.jti),
    exp: d.readInteger(row.exp),
    revokedAt: d.readInteger(row.revoked_at),
  };
}
