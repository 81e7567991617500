// PostgreSQL for the issuer tests that need a real server: PGHOST, PGPORT, PGUSER, PGDATABASE (and
// PGPASSWORD, read by node-postgres itself); defaults 127.0.0.1, 5432, `postgres`, `test`. Every run
// works in a schema of its own (created here, dropped afterwards) and names its connections with an
// application_name of its own, so it can cut exactly those. Without a reachable server the tests
// are skipped loudly, except in CI, where that is a failure (as withRedis does for Redis).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';

export const PG_HOST = process.env.PGHOST || '127.0.0.1';
export const PG_PORT = Number(process.env.PGPORT || 5432);
const PG_USER = process.env.PGUSER || 'postgres';
const PG_DATABASE = process.env.PGDATABASE || 'test';

/** The server's URL (no query), through `host:port` if given (e.g. a forwarder). */
export function postgresUrl(host = PG_HOST, port = PG_PORT): string {
  return `postgres://${encodeURIComponent(PG_USER)}@${host}:${port}/${encodeURIComponent(PG_DATABASE)}`;
}

/** null when PostgreSQL answers `SELECT 1`, otherwise why not. */
export async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** One skipped test naming the missing servers (a failing one under CI=true). */
export function skipWithout(name: string, problems: string[]): void {
  const message = problems.join('; ');
  if (process.env.CI === 'true') {
    test(name, () => {
      assert.fail(
        `${message}: the ${name} tests cannot run in CI without them. Set PGHOST, PGPORT, PGUSER, PGDATABASE, REDIS_URL.`,
      );
    });
  } else {
    test(name, (t) => {
      console.warn(`\n*** ${message}: ${name} tests SKIPPED ***\n`);
      t.skip(`${message}: skipped`);
    });
  }
}

/** A schema of this run's own, and an administrative connection that is not one of the run's. */
export interface PostgresScratch {
  /** `jwtgate_<tag>_<random>`: the schema name, also the application_name of the run's connections. */
  readonly name: string;
  /** A store URL whose connections use the schema and carry the application_name. */
  storeUrl(host?: string, port?: number): string;
  /** pg_terminate_backend on every connection of the run (by application_name); how many. */
  terminate(): Promise<number>;
  /** Connections of the run open now. */
  count(): Promise<number>;
  /** Terminates what is left of the run's connections and drops the schema. */
  drop(): Promise<void>;
}

export async function createScratch(tag: string): Promise<PostgresScratch> {
  const name = `jwtgate_${tag}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({
    connectionString: postgresUrl(),
    connectionTimeoutMillis: 5000,
    application_name: `${name}_admin`,
  });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  const terminate = async () => {
    const r = await admin.query(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    return r.rows.filter((row) => row.killed === true).length;
  };
  return {
    name,
    storeUrl: (host, port) =>
      `${postgresUrl(host, port)}?application_name=${name}&options=-c%20search_path%3D${name}`,
    terminate,
    async count() {
      const r = await admin.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      return r.rows[0].n as number;
    },
    async drop() {
      try {
        await terminate();
        await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}

/** Fresh schema names of one run (`jwtgate_<tag>_<random>_<n>`, created by the store's migrate), dropped by `drop`. */
export function createSchemaNames(tag: string): { fresh(): string; drop(): Promise<void> } {
  const prefix = `jwtgate_${tag}_${randomBytes(4).toString('hex')}`;
  let n = 0;
  return {
    fresh: () => `${prefix}_${++n}`,
    async drop() {
      const admin = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 5000 });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ name: string }>(
          'SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)',
          [prefix],
        );
        for (const { name } of rows) await admin.query(`DROP SCHEMA ${pg.escapeIdentifier(name)} CASCADE`);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}
