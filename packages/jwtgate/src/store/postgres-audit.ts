import { numberColumn, type PostgresContext, type Row } from './postgres-database.ts';
import { fromJsonColumn, nullableStringColumn } from './sqlite-database.ts';
import type { AuditEvent, Store } from './types.ts';

const COLUMNS = 'seq, at, type, actor, subject, detail';

export function postgresAudit({ now, query }: PostgresContext): Store['audit'] {
  return {
    async append(event) {
      if (typeof event.type !== 'string' || event.type === '') {
        throw new TypeError('jwtgate store: an audit event needs a type');
      }
      const { rows } = await query(
        `INSERT INTO audit_events (at, type, actor, subject, detail) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [
          event.at ?? now(),
          event.type,
          event.actor ?? null,
          event.subject ?? null,
          JSON.stringify(event.detail ?? {}),
        ],
      );
      return toEvent(rows[0] as Row);
    },

    async recent(limit, types) {
      if (!Number.isSafeInteger(limit) || limit < 0) {
        throw new RangeError('jwtgate store: limit must be a non-negative integer');
      }
      if (types === undefined) {
        const { rows } = await query(`SELECT ${COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT $1`, [
          limit,
        ]);
        return rows.map(toEvent);
      }
      // A filter that names no type matches no event.
      if (types.length === 0) return [];
      // One statement whatever the list's length: the types go as one text[] parameter.
      const { rows } = await query(
        `SELECT ${COLUMNS} FROM audit_events WHERE type = ANY($1::text[]) ORDER BY seq DESC LIMIT $2`,
        [[...types], limit],
      );
      return rows.map(toEvent);
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
