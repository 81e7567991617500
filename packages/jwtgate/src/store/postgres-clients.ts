import { isUniqueViolation, numberColumn, type PostgresContext, type Row } from './postgres-database.ts';
import { definedOnly, fromJsonColumn, nullableStringColumn, toJsonColumn } from './sqlite-database.ts';
import type { ClientRecord, Store } from './types.ts';

const COLUMNS =
  'id, name, secret_hash, auth_method, jwks, grant_types, redirect_uris, scopes, roles, audiences, claims, ' +
  'disabled, created_at, updated_at';

export function postgresClients({ now, query, transaction }: PostgresContext): Store['clients'] {
  return {
    async create(client) {
      const at = now();
      const record: ClientRecord = { ...client, createdAt: at, updatedAt: at };
      try {
        const { rows } = await query(
          `INSERT INTO clients (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ` +
            `RETURNING ${COLUMNS}`,
          toParams(record),
        );
        return toClient(rows[0] as Row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new Error(`jwtgate store: client "${client.id}" already exists`);
        throw error;
      }
    },

    async get(id) {
      const { rows } = await query(`SELECT ${COLUMNS} FROM clients WHERE id = $1`, [id]);
      return rows[0] === undefined ? undefined : toClient(rows[0]);
    },

    async list() {
      // COLLATE "C": ids sort by code point, as in SQLite, whatever the database's collation.
      const { rows } = await query(`SELECT ${COLUMNS} FROM clients ORDER BY created_at, id COLLATE "C"`);
      return rows.map(toClient);
    },

    async update(id, changes) {
      return transaction(async (connection) => {
        // FOR UPDATE: a concurrent update of the same client waits, so neither loses the other's fields.
        const { rows } = await query(
          `SELECT ${COLUMNS} FROM clients WHERE id = $1 FOR UPDATE`,
          [id],
          connection,
        );
        if (rows[0] === undefined) return undefined;
        const current = toClient(rows[0]);
        const next: ClientRecord = {
          ...current,
          updatedAt: now(),
          ...definedOnly(changes),
          // Not changeable, whatever an untyped caller passes.
          id: current.id,
          createdAt: current.createdAt,
        };
        const updated = await query(
          'UPDATE clients SET name = $2, secret_hash = $3, auth_method = $4, jwks = $5, grant_types = $6, ' +
            'redirect_uris = $7, scopes = $8, roles = $9, audiences = $10, claims = $11, disabled = $12, ' +
            `updated_at = $13 WHERE id = $1 RETURNING ${COLUMNS}`,
          // created_at ($13 of toParams) is not changeable, so not a parameter here.
          toParams(next).filter((_, index) => index !== 12),
          connection,
        );
        return toClient(updated.rows[0] as Row);
      });
    },

    async remove(id) {
      const { rowCount } = await query('DELETE FROM clients WHERE id = $1', [id]);
      return (rowCount ?? 0) > 0;
    },
  };
}

/** The values for $1..$14, in COLUMNS order. */
function toParams(client: ClientRecord): unknown[] {
  return [
    client.id,
    client.name,
    client.secretHash ?? null,
    client.authMethod,
    toJsonColumn(client.jwks),
    JSON.stringify(client.grantTypes ?? []),
    JSON.stringify(client.redirectUris ?? []),
    JSON.stringify(client.scopes ?? []),
    JSON.stringify(client.roles ?? []),
    JSON.stringify(client.audiences ?? []),
    JSON.stringify(client.claims ?? {}),
    client.disabled ? 1 : 0,
    client.createdAt,
    client.updatedAt,
  ];
}

function toClient(row: Row): ClientRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    secretHash: nullableStringColumn(row.secret_hash),
    authMethod: String(row.auth_method) as ClientRecord['authMethod'],
    jwks: fromJsonColumn<ClientRecord['jwks']>(row.jwks),
    grantTypes: fromJsonColumn<string[]>(row.grant_types) ?? [],
    redirectUris: fromJsonColumn<string[]>(row.redirect_uris) ?? [],
    scopes: fromJsonColumn<string[]>(row.scopes) ?? [],
    roles: fromJsonColumn<string[]>(row.roles) ?? [],
    audiences: fromJsonColumn<string[]>(row.audiences) ?? [],
    claims: fromJsonColumn<Record<string, unknown>>(row.claims) ?? {},
    disabled: numberColumn(row.disabled) !== 0,
    createdAt: numberColumn(row.created_at),
    updatedAt: numberColumn(row.updated_at),
  };
}
