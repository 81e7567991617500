import type { Row, SqlDialect } from '../sql/executor.ts';
import { join, raw, sql } from '../sql/sql.ts';
import type { AuditEvent, Store } from '../types.ts';
import { readNullableText, type TableContext } from './table-context.ts';

const COLUMNS = raw('seq, at, type, actor, subject, detail');

export function createAuditTable({ db, now }: TableContext): Store['audit'] {
  const d = db.dialect;
  return {
    async append(event) {
      if (typeof event.type !== 'string' || event.type === '') {
        throw new TypeError('jwtgate store: an audit event needs a type');
      }
      const row = await db.row(sql`
        INSERT INTO audit_events (at, type, actor, subject, detail)
        VALUES (${event.at ?? now()}, ${event.type}, ${event.actor ?? null}, ${event.subject ?? null},
          ${d.writeJson(event.detail ?? {})})
        RETURNING ${COLUMNS}`);
      return readEvent(row as Row, d);
    },

    async recent(limit, types) {
      if (!Number.isSafeInteger(limit) || limit < 0) {
        throw new RangeError('jwtgate store: limit must be a non-negative integer');
      }
      if (types === undefined) {
        const rows = await db.rows(sql`SELECT ${COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT ${limit}`);
        return rows.map((row) => readEvent(row, d));
      }
      // A filter that names no type matches no event.
      if (types.length === 0) return [];
      // One statement per list length (SQLite caches each), rather than a dialect-only array trick.
      const rows = await db.rows(
        sql`SELECT ${COLUMNS} FROM audit_events WHERE type IN (${join(types)}) ORDER BY seq DESC LIMIT ${limit}`,
      );
      return rows.map((row) => readEvent(row, d));
    },
  };
}

function readEvent(row: Row, d: SqlDialect): AuditEvent {
  return {
    seq: d.readInteger(row.seq),
    at: d.readInteger(row.at),
    type: String(row.type),
    actor: readNullableText(row.actor),
    subject: readNullableText(row.subject),
    detail: d.readJson<Record<string, unknown>>(row.detail) ?? {},
  };
}
