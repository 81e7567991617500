import {
  fromJsonColumn,
  nullableStringColumn,
  numberColumn,
  type Row,
  type SqliteContext,
} from './sqlite-database.ts';
import type { AuditEvent, Store } from './types.ts';

const COLUMNS = 'seq, at, type, actor, subject, detail';

export function sqliteAudit({ now, statement }: SqliteContext): Store['audit'] {
  return {
    async append(event) {
      if (typeof event.type !== 'string' || event.type === '') {
        throw new TypeError('jwtgate store: an audit event needs a type');
      }
      const row = statement(
        `INSERT INTO audit_events (at, type, actor, subject, detail) VALUES (?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      ).get(
        event.at ?? now(),
        event.type,
        event.actor ?? null,
        event.subject ?? null,
        JSON.stringify(event.detail ?? {}),
      );
      return toEvent(row as Row);
    },

    async recent(limit, types) {
      if (!Number.isSafeInteger(limit) || limit < 0) {
        throw new RangeError('jwtgate store: limit must be a non-negative integer');
      }
      if (types === undefined) {
        return statement(`SELECT ${COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT ?`)
          .all(limit)
          .map(toEvent);
      }
      // A filter that names no type matches no event.
      if (types.length === 0) return [];
      // One cached statement per list length, rather than a SQLite-only json_each() trick.
      const placeholders = types.map(() => '?').join(', ');
      return statement(
        `SELECT ${COLUMNS} FROM audit_events WHERE type IN (${placeholders}) ORDER BY seq DESC LIMIT ?`,
      )
        .all(...types, limit)
        .map(toEvent);
    },
  };
}

function toEvent(row: Row): AuditEvent {
  return {
    seq: numberColumn(row.seq),
    at: numberColumn(row.at),
    type: String(row.type),
    actor: nullableStringColumn(row.actor),
    subject: nullableStringColumn(row.subject),
    detail: fromJsonColumn<Record<string, unknown>>(row.detail) ?? {},
  };
}
