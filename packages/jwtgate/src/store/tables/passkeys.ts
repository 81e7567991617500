import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { PasskeyRecord, Store } from '../types.ts';
import { readNullableInteger, type TableContext } from './table-context.ts';

const COLUMNS = raw(
  'id, user_id, public_key, counter, transports, name, device_type, backed_up, created_at, last_used_at',
);

/** Users' passkeys (WebAuthn credentials), one row each, keyed by the credential id. */
export function createPasskeysTable({ db, now }: TableContext): Store['passkeys'] {
  const d = db.dialect;
  const toPasskey = (row: Row) => readPasskey(row, d);
  return {
    async add(p) {
      try {
        const row = await db.row(sql`
          INSERT INTO user_passkeys (${COLUMNS}) VALUES (${p.id}, ${p.userId}, ${p.publicKey}, ${p.counter},
            ${d.writeJson(p.transports)}, ${p.name}, ${p.deviceType}, ${d.writeBoolean(p.backedUp)}, ${now()}, NULL)
          RETURNING ${COLUMNS}`);
        return toPasskey(row as Row);
      } catch (error) {
        if (d.isUniqueViolation(error)) throw new Error('jwtgate store: this passkey is registered already');
        throw error;
      }
    },

    async get(id) {
      const row = await db.row(sql`SELECT ${COLUMNS} FROM user_passkeys WHERE id = ${id}`);
      return row === undefined ? undefined : toPasskey(row);
    },

    async listForUser(userId) {
      const rows = await db.rows(sql`
        SELECT ${COLUMNS} FROM user_passkeys WHERE user_id = ${userId}
        ORDER BY created_at, ${d.byCodePoint('id')}`);
      return rows.map(toPasskey);
    },

    async recordUse(id, counter, nowMs) {
      await db.run(
        sql`UPDATE user_passkeys SET counter = ${counter}, last_used_at = ${nowMs} WHERE id = ${id}`,
      );
    },

    async remove(userId, id) {
      return (await db.run(sql`DELETE FROM user_passkeys WHERE id = ${id} AND user_id = ${userId}`)) > 0;
    },

    async removeAll(userId) {
      return db.run(sql`DELETE FROM user_passkeys WHERE user_id = ${userId}`);
    },
  };
}

function readPasskey(row: Row, d: SqlDialect): PasskeyRecord {
  return {
    id: String(row.id),
    userId: String(row.user_id),
    publicKey: String(row.public_key),
    counter: d.readInteger(row.counter),
    transports: d.readJson<string[]>(row.transports) ?? [],
    name: String(row.name),
    deviceType: String(row.device_type),
    backedUp: d.readBoolean(row.backed_up),
    createdAt: d.readInteger(row.created_at),
    lastUsedAt: readNullableInteger(row.last_used_at, d),
  };
}
