import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** How long a writer waits for another process's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** What the table modules of the SQLite store share. */
export interface SqliteContext {
  readonly db: DatabaseSync;
  /** Milliseconds since the epoch; injectable so tests control expiry. */
  readonly now: () => number;
  /**
   * The statement for `sql`, prepared on first use and reused afterwards. Prepared lazily rather
   * than at open because the tables do not exist until migrate() has run.
   */
  statement(sql: string): StatementSync;
  /** Runs `fn` in a write transaction, rolled back if it throws. */
  transaction<T>(fn: () => T): T;
}

/**
 * Opens (creating if needed) the database at `file`, or an in-memory one for `:memory:`.
 * The file holds hashed secrets and possibly unencrypted private keys, so it is created owner-only.
 */
export function openSqliteDatabase(file: string): DatabaseSync {
  if (file === '') throw new Error('jwtgate store: the SQLite database path is empty');
  if (file !== ':memory:') createPrivateFile(file);
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: true });
  try {
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA foreign_keys = ON');
    // WAL lets readers (token verification, JWKS) proceed while a writer commits. synchronous
    // stays at its default FULL: a revocation that was acknowledged must survive a power cut.
    // In-memory databases answer `memory` here, which is expected.
    db.exec('PRAGMA journal_mode = WAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Creates the parent directory and an empty database file with mode 0600 before SQLite opens it:
 * SQLite would create it with the umask's default (usually world-readable), and gives its -wal
 * and -shm files the main file's permissions. An existing file keeps the mode it has.
 */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}

export function createSqliteContext(db: DatabaseSync, now: () => number): SqliteContext {
  const prepared = new Map<string, StatementSync>();
  return {
    db,
    now,
    statement(sql) {
      let statement = prepared.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        prepared.set(sql, statement);
      }
      return statement;
    },
    transaction(fn) {
      // Nested calls join the outer transaction (SQLite has no nested BEGIN).
      if (db.isTransaction) return fn();
      // IMMEDIATE takes the write lock up front, so a read-modify-write cannot interleave with
      // another process's and never fails half-way on a lock upgrade that busy_timeout cannot wait for.
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
  };
}

/** SQLite's extended result codes for a violated PRIMARY KEY or UNIQUE constraint. */
const UNIQUE_VIOLATION_CODES = new Set([1555, 2067]);

export function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Error && UNIQUE_VIOLATION_CODES.has((error as Error & { errcode?: number }).errcode ?? 0)
  );
}

/** JSON for a TEXT column; null stays SQL NULL. */
export function toJsonColumn(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function fromJsonColumn<T>(value: unknown): T | null {
  return typeof value === 'string' ? (JSON.parse(value) as T) : null;
}

/** A column value as a number (node:sqlite returns INTEGER as number unless told to use bigint). */
export function numberColumn(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new TypeError(`jwtgate store: expected an integer column, got ${typeof value}`);
}

export function nullableNumberColumn(value: unknown): number | null {
  return value === null || value === undefined ? null : numberColumn(value);
}

export function nullableStringColumn(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Drops keys whose value is undefined, so a partial update does not overwrite fields with nothing. */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A result row, read through the column helpers above. */
export type Row = Record<string, unknown>;
