import {
  definedOnly,
  fromJsonColumn,
  isUniqueViolation,
  nullableNumberColumn,
  numberColumn,
  type Row,
  type SqliteContext,
} from './sqlite-database.ts';
import type { SigningKeyRecord, Store } from './types.ts';

const COLUMNS = 'kid, alg, private_jwk, public_jwk, state, created_at, activates_at, remove_at';

export function sqliteKeys({ statement, transaction }: SqliteContext): Store['keys'] {
  const read = (kid: string): SigningKeyRecord | undefined => {
    const row = statement(`SELECT ${COLUMNS} FROM signing_keys WHERE kid = ?`).get(kid);
    return row === undefined ? undefined : toKey(row);
  };

  return {
    async list() {
      return statement(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, kid`).all().map(toKey);
    },

    async insert(key) {
      try {
        statement(
          `INSERT INTO signing_keys (${COLUMNS}) VALUES (:kid, :alg, :private_jwk, :public_jwk, :state, ` +
            ':created_at, :activates_at, :remove_at)',
        ).run(toParams(key));
      } catch (error) {
        if (isUniqueViolation(error))
          throw new Error(`jwtgate store: signing key "${key.kid}" already exists`);
        throw error;
      }
    },

    async update(kid, changes) {
      transaction(() => {
        const current = read(kid);
        // Key rotation that loses track of a key is a bug worth surfacing, not a no-op.
        if (current === undefined) throw new Error(`jwtgate store: signing key "${kid}" not found`);
        const next: SigningKeyRecord = { ...current, ...definedOnly(changes), kid };
        statement(
          'UPDATE signing_keys SET alg = :alg, private_jwk = :private_jwk, public_jwk = :public_jwk, ' +
            'state = :state, created_at = :created_at, activates_at = :activates_at, remove_at = :remove_at ' +
            'WHERE kid = :kid',
        ).run(toParams(next));
      });
    },
  };
}

function toParams(key: SigningKeyRecord) {
  return {
    kid: key.kid,
    alg: key.alg,
    private_jwk: key.privateJwk,
    public_jwk: JSON.stringify(key.publicJwk),
    state: key.state,
    created_at: key.createdAt,
    activates_at: key.activatesAt ?? null,
    remove_at: key.removeAt ?? null,
  };
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
