// The one seam between the store's tables and a database: an executor runs `Sql` statements and
// transactions, and its dialect says how the database spells what differs. The tables
// (store/tables/*.ts) and the migration runner are written once over it; SQLite (node:sqlite) and
// PostgreSQL (pg) each implement it in one file.
//
// What is the same in both and so written once in the SQL itself: `RETURNING` (SQLite >= 3.35),
// `INSERT ... ON CONFLICT (...) DO NOTHING | DO UPDATE SET x = excluded.x` (SQLite >= 3.24), `IN
// (...)` lists, `LIMIT`, `COALESCE`, `CASE`. What differs is a hook below.
import type { Sql } from './sql.ts';

/** A result row; read its columns through the dialect's `read*` hooks. */
export type Row = Record<string, unknown>;

export type DialectName = 'sqlite' | 'postgres';

export interface SqlDialect {
  readonly name: DialectName;
  /** The n-th (1-based) parameter's placeholder: `?` or `$n`. */
  placeholder(index: number): string;
  /**
   * Appended to a SELECT inside a transaction that will update the rows it reads: PostgreSQL's
   * `FOR UPDATE` row lock; nothing for SQLite, whose write transactions (BEGIN IMMEDIATE) already
   * hold the database's single writer lock.
   */
  readonly forUpdate: Sql;
  /** A text column ordered by code point, whatever the database's collation (PostgreSQL `COLLATE "C"`). */
  byCodePoint(column: string): Sql;
  /**
   * An integer column as a number. SQLite gives numbers (or bigints); node-postgres gives BIGINT as
   * a string, since it can exceed 2^53. The store's integers (ms times, seconds, sequence numbers)
   * stay far below that, and anything that does not is an error, not a silently rounded number.
   */
  readInteger(value: unknown): number;
  /** Booleans are INTEGER 0/1 columns in both (SQLite has no boolean type). */
  writeBoolean(value: boolean): number;
  readBoolean(value: unknown): boolean;
  /** JSON is TEXT in both: nothing queries inside it. null stays SQL NULL. */
  writeJson(value: unknown): string | null;
  readJson<T>(value: unknown): T | null;
  /** A PRIMARY KEY or UNIQUE constraint was violated. */
  isUniqueViolation(error: unknown): boolean;
}

/** How far an advisory lock reaches: the whole database, or the store's schema only. */
export type LockScope = 'database' | 'schema';

export interface SqlRunner {
  readonly dialect: SqlDialect;
  /** Every row the statement returns (a SELECT, or a write with RETURNING). */
  rows(statement: Sql): Promise<Row[]>;
  /** The first row, or undefined. */
  row(statement: Sql): Promise<Row | undefined>;
  /** Runs a write; how many rows it changed. */
  run(statement: Sql): Promise<number>;
}

export interface SqlTransaction extends SqlRunner {
  /**
   * Holds the named lock until the transaction ends: PostgreSQL's transaction-level advisory lock,
   * so writers on other connections and processes queue; nothing for SQLite, whose write
   * transaction already excludes every other writer. `name` is a constant of the code
   * (`jwtgate.revocations`): it is written into the statement so pg_stat_activity shows what waits.
   */
  lock(name: string, scope: LockScope): Promise<void>;
  /** Several statements without parameters (migrations' DDL). */
  script(text: string): Promise<void>;
}

export interface SqlExecutor extends SqlRunner {
  /** The PostgreSQL schema the tables live in when one is configured (migrate creates it); else null. */
  readonly schema: string | null;
  /**
   * Runs `fn` in one write transaction, committed when it resolves and rolled back if it throws.
   * Statements inside go through the handle `fn` gets (never through the executor itself, which
   * waits for the transaction to end).
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** `Store.exclusive`: see there. */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}
