import { closeSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { processLock } from '../process-lock.ts';
import { readBoolean, readInteger, readJson, writeBoolean, writeJson } from './column-codecs.ts';
import type { Row, SqlDialect, SqlExecutor, SqlRunner, SqlTransaction } from './executor.ts';
import { raw, type Sql } from './sql.ts';

/** How long a writer waits for another process's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** SQLite's extended result codes for a violated PRIMARY KEY or UNIQUE constraint. */
const UNIQUE_VIOLATION_CODES = new Set([1555, 2067]);

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  forUpdate: raw(''),
  // SQLite compares text by its bytes (BINARY) unless told otherwise: UTF-8 order is code point order.
  byCodePoint: (column) => raw(column),
  readInteger,
  writeBoolean,
  readBoolean,
  writeJson,
  readJson,
  isUniqueViolation: (error) =>
    error instanceof Error &&
    UNIQUE_VIOLATION_CODES.has((error as Error & { errcode?: number }).errcode ?? 0),
};

/**
 * Opens (creating if needed) the database at `file`, or an in-memory one for `:memory:`.
 * The file holds hashed secrets and possibly unencrypted private keys, so it is created owner-only.
 */
function openSqliteDatabase(file: string): DatabaseSync {
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

/**
 * One per database file in this process (and one per in-memory database): the end of the
 * transaction open on it, while one is. It settles (never rejects) when that transaction ends.
 */
interface Gate {
  open: Promise<void> | undefined;
  users: number;
}

const gates = new Map<string, Gate>();

/**
 * Opens (creating if needed, owner-only) the database at `file`, or an in-memory one for
 * `:memory:`, and returns the executor over that node:sqlite connection. node:sqlite is synchronous; the methods are async
 * to fit the interface a networked database needs. Because a transaction's function may await
 * between its statements, statements and transactions arriving meanwhile wait until it ends:
 * otherwise they would run inside it on the shared connection (and be rolled back with it), or,
 * from another connection to the same file in this process, block the thread in busy_timeout
 * while the transaction they wait for cannot finish. Callers loop on the gate and then act with
 * no await in between, so nobody slips in between the check and the act. Across processes,
 * BEGIN IMMEDIATE takes SQLite's single write lock up front (and busy_timeout waits for it).
 */
export function openSqliteExecutor(file: string): SqlExecutor {
  const db = openSqliteDatabase(file);
  const gateKey = file === ':memory:' ? Symbol('memory') : realpathSync(file);
  const gate = gateFor(gateKey);
  const prepared = new Map<string, StatementSync>();
  // Prepared on first use and reused: lazily, because the tables do not exist until migrate() has run.
  const statement = (text: string): StatementSync => {
    let found = prepared.get(text);
    if (found === undefined) {
      found = db.prepare(text);
      prepared.set(text, found);
    }
    return found;
  };
  const render = (query: Sql) => {
    const { text, params } = query.render(sqliteDialect.placeholder);
    return { prepared: statement(text), params: params as never[] };
  };
  const direct: SqlRunner = {
    dialect: sqliteDialect,
    async rows(query) {
      const { prepared, params } = render(query);
      return prepared.all(...params) as Row[];
    },
    async row(query) {
      const { prepared, params } = render(query);
      return prepared.get(...params) as Row | undefined;
    },
    async run(query) {
      const { prepared, params } = render(query);
      return Number(prepared.run(...params).changes);
    },
  };
  const tx: SqlTransaction = {
    ...direct,
    async lock() {},
    async script(text) {
      db.exec(text);
    },
  };

  return {
    dialect: sqliteDialect,
    schema: null,
    async rows(query) {
      while (gate.open !== undefined) await gate.open;
      return direct.rows(query);
    },
    async row(query) {
      while (gate.open !== undefined) await gate.open;
      return direct.row(query);
    },
    async run(query) {
      while (gate.open !== undefined) await gate.open;
      return direct.run(query);
    },
    async transaction(fn) {
      while (gate.open !== undefined) await gate.open;
      // IMMEDIATE takes the write lock up front, so a read-modify-write cannot interleave with
      // another process's and never fails half-way on a lock upgrade that busy_timeout cannot wait for.
      db.exec('BEGIN IMMEDIATE');
      let ended = () => {};
      gate.open = new Promise((resolve) => {
        ended = resolve;
      });
      try {
        const result = await fn(tx);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      } finally {
        gate.open = undefined;
        ended();
      }
    },
    // One issuer per file: named locks queued in this process suffice.
    exclusive: processLock(),
    async close() {
      // Idempotent, so shutdown paths need not track whether it already ran.
      if (!db.isOpen) return;
      db.close();
      releaseGate(gateKey, gate);
    },
  };
}

function gateFor(key: string | symbol): Gate {
  if (typeof key === 'symbol') return { open: undefined, users: 1 };
  let gate = gates.get(key);
  if (gate === undefined) {
    gate = { open: undefined, users: 0 };
    gates.set(key, gate);
  }
  gate.users++;
  return gate;
}

function releaseGate(key: string | symbol, gate: Gate): void {
  if (typeof key === 'symbol' || --gate.users > 0) return;
  if (gates.get(key) === gate) gates.delete(key);
}
