import { resolve } from 'node:path';
import { isPostgresUrl, openPostgresStore } from '../store/postgres-store.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { IssuerError } from './errors.ts';

/**
 * Opens the store (creating it and applying migrations); one that cannot be opened names itself.
 * `location` is a SQLite file, or a `postgres://` / `postgresql://` URL for the PostgreSQL store.
 *
 * @example
 * const store = await openStore('.data/issuer.db');
 * const shared = await openStore('postgres://jwtgate@db.internal:5432/jwtgate');
 */
export async function openStore(location: string): Promise<Store> {
  const postgres = isPostgresUrl(location);
  let store: Store | undefined;
  try {
    store = postgres ? openPostgresStore(location) : openSqliteStore(resolve(location));
    await store.migrate();
  } catch (err) {
    // A pool left open would keep the process alive; closing is best effort.
    if (postgres) await store?.close().catch(() => {});
    const name = postgres ? withoutPassword(location) : location;
    throw new IssuerError('ERR_ISSUER_CONFIG', `cannot open the store ${name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return store;
}

/** The URL with any password masked, for messages and logs. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}
