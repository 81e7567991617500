// The issuer's schema, as one ordered list of migrations for both databases (SQLite and
// PostgreSQL), applied by migrate.ts. Append new migrations; never edit one that has shipped,
// because databases that already applied it will not run it again.
//
// Conventions, chosen so one text serves both databases:
// - Types are TEXT, INTEGER and BIGINT only. JSON is kept as TEXT (not JSONB) because nothing
//   queries inside it, and booleans as INTEGER 0/1 because SQLite has no boolean type.
// - Times ending in `_at` are milliseconds since the epoch (BIGINT: they overflow 32 bits);
//   `exp` is a JWT NumericDate in seconds.
// - Enumerated values (auth_method, state) have no CHECK constraint: widening one would need a
//   table rebuild in SQLite, and the TypeScript types already constrain them.
// - No IF NOT EXISTS in migrations: a table that exists when it should not is drift to report,
//   not to paper over.
//
// Where DDL must differ, the SQLite spelling is written and rewritten for PostgreSQL
// (`migrationSql`), or a migration gives `postgres` text of its own:
// - Monotonic sequence columns are written `INTEGER PRIMARY KEY AUTOINCREMENT` (SQLite: never
//   reuses a value, even after the newest row is deleted, which the revocation feed's cursor
//   relies on). PostgreSQL spells it `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`.
// - For the PostgreSQL store: identity values can commit out of order under concurrent writers,
//   so a `seq > cursor` feed reader must not skip past a gap that an uncommitted transaction may
//   still fill (tables/revocations.ts serialises its writers; SQLite has a single writer anyway).

import type { DialectName } from './sql/executor.ts';

export interface Migration {
  /** Strictly increasing from 1; the number recorded in schema_migrations. */
  readonly version: number;
  readonly description: string;
  /** Statements separated by `;`, written for SQLite with the portable subset described above. */
  readonly sql: string;
  /** PostgreSQL's text, only where its DDL cannot be the rewritten `sql`. */
  readonly postgres?: string;
}

/** Created before any migration runs, because it is where the runner reads what has been applied. */
export const SCHEMA_MIGRATIONS_SQL = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'clients, signing keys, revocations, audit events, oidc-provider payloads',
    sql: `
CREATE TABLE clients (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT,
  auth_method TEXT NOT NULL,
  jwks TEXT,
  grant_types TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  scopes TEXT NOT NULL,
  roles TEXT NOT NULL,
  audiences TEXT NOT NULL,
  claims TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
  kid TEXT NOT NULL PRIMARY KEY,
  alg TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  activates_at BIGINT,
  remove_at BIGINT
);

CREATE TABLE revocations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  jti TEXT NOT NULL UNIQUE,
  exp BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE INDEX revocations_exp ON revocations (exp);

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT,
  subject TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX audit_events_type_seq ON audit_events (type, seq);

CREATE TABLE oidc_payloads (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at BIGINT,
  consumed_at BIGINT,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_payloads_grant_id ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_payloads_user_code ON oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
`,
  },
  {
    version: 2,
    description: 'users (people who log in)',
    // username_key is the lowercased NFKC username, computed by the store: a UNIQUE index on it is
    // portable, where an index on lower(username) would lowercase differently in each database.
    sql: `
CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  email TEXT,
  name TEXT,
  roles TEXT NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);
`,
  },
  {
    version: 3,
    description: 'public and native clients, their web origins; token exchange policies',
    // Web origins are rows of their own, not a JSON list, so a CORS preflight (which names no
    // client) is one indexed lookup.
    sql: `
ALTER TABLE clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web';
ALTER TABLE clients ADD COLUMN token_exchange TEXT;

CREATE TABLE client_web_origins (
  client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  origin TEXT NOT NULL,
  PRIMARY KEY (client_id, origin)
);
CREATE INDEX client_web_origins_origin ON client_web_origins (origin);
`,
  },
];

/** The newest schema version this code knows. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

const POSTGRES_REWRITES: readonly (readonly [string, string])[] = [
  ['INTEGER PRIMARY KEY AUTOINCREMENT', 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'],
];

/** The migration's SQL for `dialect`: as written for SQLite, else its own or the rewritten text. */
export function migrationSql(migration: Migration, dialect: DialectName): string {
  if (dialect === 'sqlite') return migration.sql;
  if (migration.postgres !== undefined) return migration.postgres;
  let sql = migration.sql;
  for (const [from, to] of POSTGRES_REWRITES) sql = sql.replaceAll(from, to);
  return sql;
}
