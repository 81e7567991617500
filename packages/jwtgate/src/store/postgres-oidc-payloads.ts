import { nullableNumberColumn, type PostgresContext, type Row } from './postgres-database.ts';
import type { OidcPayloadStore } from './types.ts';

/** Expired rows are invisible at once, but deleted in bulk at most this often (plus singly on find). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * oidc-provider's adapter contract over one table, keyed by (model, id). The payload is stored as
 * given (JSON as TEXT, like every JSON column of the schema); grantId, userCode and uid are copied
 * out of it into indexed columns for the lookups by them.
 */
export function postgresOidcPayloads({ now, query }: PostgresContext): OidcPayloadStore {
  let nextSweepAt = 0;
  const sweepExpired = async (at: number) => {
    if (at < nextSweepAt) return;
    nextSweepAt = at + SWEEP_INTERVAL_MS;
    await query('DELETE FROM oidc_payloads WHERE expires_at <= $1', [at]);
  };

  const findWhere = async (column: 'uid' | 'user_code', model: string, value: string) => {
    const { rows } = await query(
      `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND ${column} = $2 ` +
        'AND (expires_at IS NULL OR expires_at > $3) LIMIT 1',
      [model, value, now()],
    );
    return rows[0] === undefined ? undefined : toPayload(rows[0]);
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
      await query(
        'INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at) ' +
          'VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) ON CONFLICT (model, id) DO UPDATE SET ' +
          'payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, ' +
          'uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL',
        [
          model,
          id,
          JSON.stringify(payload),
          stringOrNull(payload.grantId),
          stringOrNull(payload.userCode),
          stringOrNull(payload.uid),
          expiresAt,
        ],
      );
      await sweepExpired(at);
    },

    async find(model, id) {
      const at = now();
      const { rows } = await query(
        'SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE model = $1 AND id = $2',
        [model, id],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const expiresAt = nullableNumberColumn(row.expires_at);
      if (expiresAt !== null && expiresAt <= at) {
        // The expiry condition is repeated so a concurrent re-upsert with a new expiry survives.
        await query('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2 AND expires_at <= $3', [
          model,
          id,
          at,
        ]);
        return undefined;
      }
      return toPayload(row);
    },

    async findByUid(model, uid) {
      return findWhere('uid', model, uid);
    },

    async findByUserCode(model, userCode) {
      return findWhere('user_code', model, userCode);
    },

    async consume(model, id) {
      // The first consumption time is kept: it is the one that matters for detecting a replay.
      await query(
        'UPDATE oidc_payloads SET consumed_at = COALESCE(consumed_at, $1) WHERE model = $2 AND id = $3',
        [now(), model, id],
      );
    },

    async destroy(model, id) {
      await query('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [model, id]);
    },

    async revokeByGrantId(_model, grantId) {
      // oidc-provider expects every entry of the grant gone (access and refresh tokens, codes, ...),
      // whichever model's adapter it asks, as its reference in-memory adapter does.
      await query('DELETE FROM oidc_payloads WHERE grant_id = $1', [grantId]);
    },
  };
}

/** The stored payload, with `consumed` in epoch seconds once consumed, as oidc-provider reads it. */
function toPayload(row: Row): Record<string, unknown> {
  const payload = JSON.parse(String(row.payload)) as Record<string, unknown>;
  const consumedAt = nullableNumberColumn(row.consumed_at);
  return consumedAt === null ? payload : { ...payload, consumed: Math.floor(consumedAt / 1000) };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
