import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { SigningKeyRecord, Store } from '../types.ts';
import { definedOnly, readNullableInteger, type TableContext } from './table-context.ts';

const COLUMNS = raw('kid, alg, private_jwk, public_jwk, state, created_at, activates_at, remove_at');

/**
 * Signing keys as given: `privateJwk` is stored as the caller passes it, which is `enc:v1:...`
 * when a key encryption key is configured (key-encryption.ts), so no plain key is written here.
 */
export function createKeysTable({ db }: TableContext): Store['keys'] {
  const d = db.dialect;
  return {
    async list() {
      const rows = await db.rows(
        sql`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at, ${d.byCodePoint('kid')}`,
      );
      return rows.map((row) => readKey(row, d));
    },

    async insert(k) {
      try {
        await db.run(sql`
          INSERT INTO signing_keys (${COLUMNS}) VALUES (${k.kid}, ${k.alg}, ${k.privateJwk},
            ${d.writeJson(k.publicJwk)}, ${k.state}, ${k.createdAt}, ${k.activatesAt ?? null}, ${k.removeAt ?? null})`);
      } catch (error) {
        if (d.isUniqueViolation(error))
          throw new Error(`jwtgate store: signing key "${k.kid}" already exists`);
        throw error;
      }
    },

    async update(kid, changes) {
      await db.transaction(async (tx) => {
        const row = await tx.row(sql`SELECT ${COLUMNS} FROM signing_keys WHERE kid = ${kid}${d.forUpdate}`);
        // Key rotation that loses track of a key is a bug worth surfacing, not a no-op.
        if (row === undefined) throw new Error(`jwtgate store: signing key "${kid}" not found`);
        const k: SigningKeyRecord = { ...readKey(row, d), ...definedOnly(changes), kid };
        await tx.run(sql`
          UPDATE signing_keys SET alg = ${k.alg}, private_jwk = ${k.privateJwk}, public_jwk = ${d.writeJson(k.publicJwk)},
            state = ${k.state}, created_at = ${k.createdAt}, activates_at = ${k.activatesAt ?? null},
            remove_at = ${k.removeAt ?? null}
          WHERE kid = ${kid}`);
      });
    },
  };
}

function readKey(row: Row, d: SqlDialect): SigningKeyRecord {
  return {
    kid: String(row.kid),
    alg: String(row.alg),
    privateJwk: String(row.private_jwk),
    publicJwk: d.readJson<Record<string, unknown>>(row.public_jwk) ?? {},
    state: String(row.state) as SigningKeyRecord['state'],
    createdAt: d.readInteger(row.created_at),
    activatesAt: readNullableInteger(row.activates_at, d),
    removeAt: readNullableInteger(row.remove_at, d),
  };
}
