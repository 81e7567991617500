import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { OidcPayloadStore } from '../types.ts';
import { readNullableInteger, type TableContext } from './table-context.ts';

/** Expired rows are invisible at once, but deleted in bulk at most this often (plus singly on find). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * oidc-provider's adapter contract over one table, keyed by (model, id). The payload is stored as
 * given (JSON as TEXT); grantId, userCode and uid are copied out of it into indexed columns for
 * the lookups by them.
 */
export function createOidcPayloadsTable({ db, now }: TableContext): OidcPayloadStore {
  const d = db.dialect;
  let nextSweepAt = 0;
  const sweepExpired = async (at: number) => {
    if (at < nextSweepAt) return;
    nextSweepAt = at + SWEEP_INTERVAL_MS;
    await db.run(sql`DELETE FROM oidc_payloads WHERE expires_at <= ${at}`);
  };

  const findWhere = async (column: 'uid' | 'user_code', model: string, value: string) => {
    const row = await db.row(sql`
      SELECT payload, consumed_at FROM oidc_payloads
      WHERE model = ${model} AND ${raw(column)} = ${value} AND (expires_at IS NULL OR expires_at > ${now()})
      LIMIT 1`);
    return row === undefined ? undefined : readPayload(row, d);
  };

  return {
    async upsert(model, id, payload, expiresInSeconds) {
      if (expiresInSeconds !== undefined && !Number.isFinite(expiresInSeconds)) {
        throw new TypeError('jwtgate store: expiresIn must be a finite number of seconds or undefined');
      }
      const at = now();
      const expiresAt = expiresInSeconds === undefined ? null : at + Math.round(expiresInSeconds * 1000);
      // Like oidc-provider's own adapters, an upsert replaces the whole entry, consumption included:
      // a consumed model that is saved again carries its `consumed` inside the payload.
      await db.run(sql`
        INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
        VALUES (${model}, ${id}, ${d.writeJson(payload)}, ${textOrNull(payload.grantId)},
          ${textOrNull(payload.userCode)}, ${textOrNull(payload.uid)}, ${expiresAt}, NULL)
        ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
          user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`);
      await sweepExpired(at);
    },

    async find(model, id) {
      const at = now();
      const row = await db.row(
        sql`SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE model = ${model} AND id = ${id}`,
      );
      if (row === undefined) return undefined;
      const expiresAt = readNullableInteger(row.expires_at, d);
      if (expiresAt !== null && expiresAt <= at) {
        // The expiry condition is repeated so a concurrent re-upsert with a new expiry survives.
        await db.run(
          sql`DELETE FROM oidc_payloads WHERE model = ${model} AND id = ${id} AND expires_at <= ${at}`,
        );
        return undefined;
      }
      return readPayload(row, d);
    },

    async findByUid(model, uid) {
      return findWhere('uid', model, uid);
    },

    async findByUserCode(model, userCode) {
      return findWhere('user_code', model, userCode);
    },

    async consume(model, id) {
      // The first consumption time is kept: it is the one that matters for detecting a replay.
      await db.run(sql`
        UPDATE oidc_payloads SET consumed_at = COALESCE(consumed_at, ${now()})
        WHERE model = ${model} AND id = ${id}`);
    },

    async destroy(model, id) {
      await db.run(sql`DELETE FROM oidc_payloads WHERE model = ${model} AND id = ${id}`);
    },

    async revokeByGrantId(_model, grantId) {
      // oidc-provider expects every entry of the grant gone (access and refresh tokens, codes, ...),
      // whichever model's adapter it asks, as its reference in-memory adapter does.
      await db.run(sql`DELETE FROM oidc_payloads WHERE grant_id = ${grantId}`);
    },
  };
}

/** The stored payload, with `consumed` in epoch seconds once consumed, as oidc-provider reads it. */
function readPayload(row: Row, d: SqlDialect): Record<string, unknown> {
  const payload = d.readJson<Record<string, unknown>>(row.payload) ?? {};
  const consumedAt = readNullableInteger(row.consumed_at, d);
  return consumedAt === null ? payload : { ...payload, consumed: Math.floor(consumedAt / 1000) };
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
