import type { Row, SqlDialect, SqlRunner, SqlTransaction } from '../sql/executor.ts';
import { raw, sql } from '../sql/sql.ts';
import type { ClientRecord, Store, TokenExchangePolicy } from '../types.ts';
import { definedOnly, readNullableText, type TableContext } from './table-context.ts';

const COLUMNS = raw(
  'id, name, secret_hash, auth_method, jwks, grant_types, redirect_uris, scopes, roles, audiences, claims, ' +
    'disabled, created_at, updated_at, application_type, token_exchange',
);

/**
 * Clients, with their web origins in client_web_origins (one row each, so a CORS preflight, which
 * names no client, is an indexed lookup); a client's rows go with it (ON DELETE CASCADE).
 */
export function createClientsTable({ db, now }: TableContext): Store['clients'] {
  const d = db.dialect;
  // A NOT NULL list or object column; a missing value is stored as its empty form.
  const json = (value: unknown, empty: unknown = []) => d.writeJson(value ?? empty);

  const originsOf = async (runner: SqlRunner, id: string) =>
    (
      await runner.rows(
        sql`SELECT origin FROM client_web_origins WHERE client_id = ${id} ORDER BY ${d.byCodePoint('origin')}`,
      )
    ).map((row) => String(row.origin));
  const writeOrigins = async (tx: SqlTransaction, id: string, origins: readonly string[]) => {
    await tx.run(sql`DELETE FROM client_web_origins WHERE client_id = ${id}`);
    for (const origin of new Set(origins))
      await tx.run(sql`INSERT INTO client_web_origins (client_id, origin) VALUES (${id}, ${origin})`);
  };
  const read = async (runner: SqlRunner, row: Row) =>
    readClient(row, await originsOf(runner, String(row.id)), d);

  return {
    async create(client) {
      const at = now();
      const c = { ...client, createdAt: at, updatedAt: at };
      try {
        return await db.transaction(async (tx) => {
          const row = await tx.row(sql`
            INSERT INTO clients (${COLUMNS}) VALUES (${c.id}, ${c.name}, ${c.secretHash ?? null}, ${c.authMethod},
              ${d.writeJson(c.jwks)}, ${json(c.grantTypes)}, ${json(c.redirectUris)}, ${json(c.scopes)},
              ${json(c.roles)}, ${json(c.audiences)}, ${json(c.claims, {})}, ${d.writeBoolean(c.disabled)},
              ${c.createdAt}, ${c.updatedAt}, ${c.applicationType ?? 'web'}, ${d.writeJson(c.tokenExchange)})
            RETURNING ${COLUMNS}`);
          await writeOrigins(tx, c.id, c.webOrigins ?? []);
          return read(tx, row as Row);
        });
      } catch (error) {
        if (d.isUniqueViolation(error))
          throw new Error(`jwtgate store: client "${client.id}" already exists`);
        throw error;
      }
    },

    async get(id) {
      const row = await db.row(sql`SELECT ${COLUMNS} FROM clients WHERE id = ${id}`);
      return row === undefined ? undefined : read(db, row);
    },

    async list() {
      const rows = await db.rows(
        sql`SELECT ${COLUMNS} FROM clients ORDER BY created_at, ${d.byCodePoint('id')}`,
      );
      const origins = new Map<string, string[]>();
      for (const row of await db.rows(
        sql`SELECT client_id, origin FROM client_web_origins ORDER BY ${d.byCodePoint('origin')}`,
      )) {
        const id = String(row.client_id);
        origins.set(id, [...(origins.get(id) ?? []), String(row.origin)]);
      }
      return rows.map((row) => readClient(row, origins.get(String(row.id)) ?? [], d));
    },

    async update(id, changes) {
      return db.transaction(async (tx) => {
        // Locked: a concurrent update of the same client waits, so neither loses the other's fields.
        const row = await tx.row(sql`SELECT ${COLUMNS} FROM clients WHERE id = ${id}${d.forUpdate}`);
        if (row === undefined) return undefined;
        const current = await read(tx, row);
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
            claims = ${json(c.claims, {})}, disabled = ${d.writeBoolean(c.disabled)}, updated_at = ${c.updatedAt},
            application_type = ${c.applicationType ?? 'web'}, token_exchange = ${d.writeJson(c.tokenExchange)}
          WHERE id = ${id}
          RETURNING ${COLUMNS}`);
        if (changes.webOrigins !== undefined) await writeOrigins(tx, id, changes.webOrigins ?? []);
        return read(tx, updated as Row);
      });
    },

    async remove(id) {
      return (await db.run(sql`DELETE FROM clients WHERE id = ${id}`)) > 0;
    },

    async hasWebOrigin(origin) {
      const row = await db.row(sql`
        SELECT 1 AS found FROM client_web_origins o JOIN clients c ON c.id = o.client_id
        WHERE o.origin = ${origin} AND c.disabled = ${d.writeBoolean(false)}
        LIMIT 1`);
      return row !== undefined;
    },
  };
}

function readClient(row: Row, webOrigins: readonly string[], d: SqlDialect): ClientRecord {
  const applicationType = String(row.application_type);
  const tokenExchange = d.readJson<TokenExchangePolicy>(row.token_exchange);
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
    // Defaults are left out, so a record reads back exactly as it was given.
    ...(applicationType === 'native' ? { applicationType } : {}),
    ...(webOrigins.length > 0 ? { webOrigins } : {}),
    ...(tokenExchange === null ? {} : { tokenExchange }),
  };
}
