import { numberColumn, type Row, type SqliteContext } from './sqlite-database.ts';
import type { RevocationRecord, Store } from './types.ts';

/** How many entries `since` returns when the caller gives no limit. */
export const DEFAULT_FEED_LIMIT = 1000;

export function sqliteRevocations({ now, statement, transaction }: SqliteContext): Store['revocations'] {
  return {
    async add(jti, exp) {
      if (typeof jti !== 'string' || jti === '') {
        throw new TypeError('jwtgate store: jti must be a non-empty string');
      }
      if (!Number.isFinite(exp)) throw new TypeError('jwtgate store: exp must be a finite number of seconds');
      return transaction(() => {
        // Revoking a jti again is a no-op that returns the first entry: the token (and so its exp)
        // is the same, and a new seq would make feed readers apply the same revocation twice.
        statement(
          'INSERT INTO revocations (jti, exp, revoked_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING',
        ).run(
          jti,
          // Round up: a fractional exp must not end the revocation before the token dies.
          Math.ceil(exp),
          now(),
        );
        return toRevocation(
          statement('SELECT seq, jti, exp, revoked_at FROM revocations WHERE jti = ?').get(jti) as Row,
        );
      });
    },

    async since(seq, limit = DEFAULT_FEED_LIMIT) {
      if (!Number.isSafeInteger(limit) || limit < 0) {
        throw new RangeError('jwtgate store: limit must be a non-negative integer');
      }
      return statement('SELECT seq, jti, exp, revoked_at FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?')
        .all(seq, limit)
        .map(toRevocation);
    },

    async isRevoked(jti) {
      return statement('SELECT 1 AS found FROM revocations WHERE jti = ?').get(jti) !== undefined;
    },

    async prune(nowSeconds) {
      // At exp the token is no longer accepted (RFC 7519 4.1.4), so its entry is no longer needed.
      // A caller whose verifiers allow clock skew passes nowSeconds minus that skew.
      return Number(statement('DELETE FROM revocations WHERE exp <= ?').run(nowSeconds).changes);
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
