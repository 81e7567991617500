import {
  definedOnly,
  fromJsonColumn,
  isUniqueViolation,
  nullableStringColumn,
  numberColumn,
  type Row,
  type SqliteContext,
  toJsonColumn,
} from './sqlite-database.ts';
import type { ClientRecord, Store } from './types.ts';

const COLUMNS =
  'id, name, secret_hash, auth_method, jwks, grant_types, redirect_uris, scopes, roles, audiences, claims, ' +
  'disabled, created_at, updated_at';

export function sqliteClients({ now, statement, transaction }: SqliteContext): Store['clients'] {
  const read = (id: string): ClientRecord | undefined => {
    const row = statement(`SELECT ${COLUMNS} FROM clients WHERE id = ?`).get(id);
    return row === undefined ? undefined : toClient(row);
  };

  return {
    async create(client) {
      const at = now();
      const record: ClientRecord = { ...client, createdAt: at, updatedAt: at };
      try {
        statement(
          `INSERT INTO clients (${COLUMNS}) VALUES (:id, :name, :secret_hash, :auth_method, :jwks, ` +
            ':grant_types, :redirect_uris, :scopes, :roles, :audiences, :claims, :disabled, :created_at, :updated_at)',
        ).run(toParams(record));
      } catch (error) {
        if (isUniqueViolation(error)) throw new Error(`jwtgate store: client "${client.id}" already exists`);
        throw error;
      }
      return read(client.id) as ClientRecord;
    },

    async get(id) {
      return read(id);
    },

    async list() {
      return statement(`SELECT ${COLUMNS} FROM clients ORDER BY created_at, id`).all().map(toClient);
    },

    async update(id, changes) {
      return transaction(() => {
        const current = read(id);
        if (current === undefined) return undefined;
        const next: ClientRecord = {
          ...current,
          updatedAt: now(),
          ...definedOnly(changes),
          // Not changeable, whatever an untyped caller passes.
          id: current.id,
          createdAt: current.createdAt,
        };
        statement(
          'UPDATE clients SET name = :name, secret_hash = :secret_hash, auth_method = :auth_method, ' +
            'jwks = :jwks, grant_types = :grant_types, redirect_uris = :redirect_uris, scopes = :scopes, ' +
            'roles = :roles, audiences = :audiences, claims = :claims, disabled = :disabled, ' +
            'updated_at = :updated_at WHERE id = :id',
        ).run(withoutCreatedAt(toParams(next)));
        return read(id);
      });
    },

    async remove(id) {
      return Number(statement('DELETE FROM clients WHERE id = ?').run(id).changes) > 0;
    },
  };
}

function toParams(client: ClientRecord) {
  return {
    id: client.id,
    name: client.name,
    secret_hash: client.secretHash ?? null,
    auth_method: client.authMethod,
    jwks: toJsonColumn(client.jwks),
    grant_types: JSON.stringify(client.grantTypes ?? []),
    redirect_uris: JSON.stringify(client.redirectUris ?? []),
    scopes: JSON.stringify(client.scopes ?? []),
    roles: JSON.stringify(client.roles ?? []),
    audiences: JSON.stringify(client.audiences ?? []),
    claims: JSON.stringify(client.claims ?? {}),
    disabled: client.disabled ? 1 : 0,
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}

// node:sqlite rejects named parameters that the statement does not use.
function withoutCreatedAt({ created_at: _, ...params }: ReturnType<typeof toParams>) {
  return params;
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
