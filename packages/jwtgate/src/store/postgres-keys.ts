import {
  isUniqueViolation,
  nullableNumberColumn,
  numberColumn,
  type PostgresContext,
  type Row,
} from './postgres-database.ts';
import { definedOnly, fromJsonColumn } from './sqlite-database.ts';
import type { SigningKeyRecord, Store } from './types.ts';

const COLUMNS = 'kid, alg, private_jwk, public_jwk, state, created_at, activates_at, remove_at';

export function postgresKeys({ query, transaction }: PostgresContext): Store['keys'] {
  return {
    async list() {
      // COLLATE "C": kids sort by code point, as in SQLite, whatever the database's collation.
      const { rows } = await query(
        `SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, kid COLLATE "C"`,
      );
      return rows.map(toKey);
    },

    async insert(key) {
      try {
        await query(
          `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          toParams(key),
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new Error(`jwtgate store: signing key "${key.kid}" already exists`);
        throw error;
      }
    },

    async update(kid, changes) {
      await transaction(async (connection) => {
        const { rows } = await query(
          `SELECT ${COLUMNS} FROM signing_keys WHERE kid = $1 FOR UPDATE`,
          [kid],
          connection,
        );
        // Key rotation that loses track of a key is a bug worth surfacing, not a no-op.
        if (rows[0] === undefined) throw new Error(`jwtgate store: signing key "${kid}" not found`);
        const next: SigningKeyRecord = { ...toKey(rows[0]), ...definedOnly(changes), kid };
        await query(
          'UPDATE signing_keys SET alg = $2, private_jwk = $3, public_jwk = $4, state = $5, created_at = $6, ' +
            'activates_at = $7, remove_at = $8 WHERE kid = $1',
          toParams(next),
          connection,
        );
      });
    },
  };
}

/** The values for $1..$8, in COLUMNS order. */
function toParams(key: SigningKeyRecord): unknown[] {
  return [
    key.kid,
    key.alg,
    key.privateJwk,
    JSON.stringify(key.publicJwk),
    key.state,
    key.createdAt,
    key.activatesAt ?? null,
    key.removeAt ?? null,
  ];
}

function toKey(row: Row): SigningKeyRecord {
  return {
    kid: String(row.kid),
    alg: String(row.alg),
    privateJwk: String(row.private_jwk),
    publicJwk: fromJsonColumn<Record<string, unknown>>(row.public_jwk) ?? {},
    state: String(row.state) as SigningKeyRecord['state'],
    createdAt: numberColumn(row.created_at),
    activatesAt: nullableNumberColumn(row.activates_at),
    removeAt: nullableNumberColumn(row.remove_at),
  };
}
