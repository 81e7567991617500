import type { SqlDialect, SqlExecutor } from '../sql/executor.ts';

/** What every table module gets: the executor, and the clock (injectable so tests control expiry). */
export interface TableContext {
  readonly db: SqlExecutor;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** Drops keys whose value is undefined, so a partial update does not overwrite fields with nothing. */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A nullable text column. */
export function readNullableText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A nullable integer column. */
export function readNullableInteger(value: unknown, d: SqlDialect): number | null {
  return value === null || value === undefined ? null : d.readInteger(value);
}
