import type { Row, SqlDialect } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { ClientRecord, Store } from '../types.ts';
import { definedOnly, readNullableText, type TableContext } from './table-context.ts';

const COLUMNS = raw(
  'id, name, secret_hash, auth_method, jwks, grant_types, redirect_uris, scopes, roles, audiences, claims, ' +
    'disabled, created_at, updated_at',
);

export function createClientsTable({ db, now }: TableContext): Store['clients'] {
  const d = db.dialect;
  const toClient = (row: Row) => readClient(row, d);
  // A NOT NULL list or object column; a missing value is stored as its empty form.
  const json = (value: unknown, empty: unknown = []) => d.writeJson(value ?? empty);
  return {
    async create(client) {
      const at = now();
      const c = { ...client, createdAt: at, updatedAt: at };
      try {
        const row = await db.row(sql`
          INSERT INTO clients (${COLUMNS}) VALUES (${c.id}, ${c.name}, ${c.secretHash ?? null}, ${c.authMethod},
            ${d.writeJson(c.jwks)}, ${json(c.grantTypes)}, ${json(c.redirectUris)}, ${json(c.scopes)},
            ${json(c.roles)}, ${json(c.audiences)}, ${json(c.claims, {})}, ${d.writeBoolean(c.disabled)},
            ${c.createdAt}, ${c.updatedAt})
          RETURNING ${COLUMNS}`);
        return toClient(row as Row);
      } catch (error) {
        if (d.isUniqueViolation(error))
          throw new Error(`jwtgate store: client "${client.id}" already exists`);
        throw error;
      }
    },

    async get(id) {
      const row = await db.row(sql`SELECT ${COLUMNS} FROM clients WHERE id = ${id}`);
      return row === undefined ? undefined : toClient(row);
    },

    async list() {
      const rows = await db.rows(
        sql`SELECT ${COLUMNS} FROM clients ORDER BY created_at, ${d.byCodePoint('id')}`,
      );
      return rows.map(toClient);
    },

    async update(id, changes) {
      return db.transaction(async (tx) => {
        // Locked: a concurrent update of the same client waits, so neither loses the other's fields.
        const row = await tx.row(sql`SELECT ${COLUMNS} FROM clients WHERE id = ${id}${d.forUpdate}`);
        if (row === undefined) return undefined;
        const current = toClient(row);
        const c: ClientRecord = {
          ...current,
          updatedAt: now(),
          ...definedOnly(changes),
          // Not changeable, whatever an untyped caller passes.
          id: current.id,
          createdAt: current.createdAt,
        };
        const updated = await tx.row(sql`
          UPDATE clients SET name = ${c.name}, secret_hash = ${c.secretHash ?? null}, auth_method = ${c.authMethod},
            jwks = ${d.writeJson(c.jwks)}, grant_types = ${json(c.grantTypes)}, redirect_uris = ${json(c.redirectUris)},
            scopes = ${json(c.scopes)}, roles = ${json(c.roles)}, audiences = ${json(c.audiences)},
            claims = ${json(c.claims, {})}, disabled = ${d.writeBoolean(c.disabled)}, updated_at = ${c.updatedAt}
          WHERE id = ${id}
          RETURNING ${COLUMNS}`);
        return toClient(updated as Row);
      });
    },

    async remove(id) {
      return (await db.run(sql`DELETE FROM clients WHERE id = ${id}`)) > 0;
    },
  };
}

function readClient(row: Row, d: SqlDialect): ClientRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    secretHash: readNullableText(row.secret_hash),
    authMethod: String(row.auth_method) as ClientRecord['authMethod'],
    jwks: d.readJson<ClientRecord['jwks']>(row.jwks),
    grantTypes: d.readJson<string[]>(row.grant_types) ?? [],
    redirectUris: d.readJson<string[]>(row.redirect_uris) ?? [],
    scopes: d.readJson<string[]>(row.scopes) ?? [],
    roles: d.readJson<string[]>(row.roles) ?? [],
    audiences: d.readJson<string[]>(row.audiences) ?? [],
    claims: d.readJson<Record<string, unknown>>(row.claims) ?? {},
    disabled: d.readBoolean(row.disabled),
    createdAt: d.readInteger(row.created_at),
    updatedAt: d.readInteger(row.updated_at),
  };
}
