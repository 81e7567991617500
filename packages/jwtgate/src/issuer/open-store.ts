import { resolve } from 'node:path';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { IssuerError } from './errors.ts';

/**
 * Opens the store file (creating it and applying migrations); an unreadable file names itself.
 *
 * @example
 * const store = await openStore('.data/issuer.db');
 */
export async function openStore(file: string): Promise<Store> {
  let store: Store;
  try {
    store = openSqliteStore(resolve(file));
    await store.migrate();
  } catch (err) {
    throw new IssuerError('ERR_ISSUER_CONFIG', `cannot open the store ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return store;
}
