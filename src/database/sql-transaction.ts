/**
 * How one transaction of plain SQL runs on each database: the runner behind
 * `DatabaseService.transaction`. Only this file and database.service.ts touch the drivers.
 */
import type { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';

/**
 * One transaction of plain SQL statements. On MySQL the statements whose results nobody reads
 * (`defer`) travel with the next `query` or with the COMMIT, several statements to one packet:
 * a partial update is two round trips (START TRANSACTION + SELECT … FOR UPDATE, then UPDATE +
 * audit INSERT + COMMIT) rather than five. The database stops at the first statement that fails,
 * so a failed batch never commits; the transaction is then rolled back.
 */
export interface SqlTransaction {
  /** Sends the deferred statements and this one; resolves to this one's result (rows for a SELECT). */
  query<R = Record<string, unknown>[]>(sql: string, params?: unknown[]): Promise<R>;
  /** Queues a statement (an INSERT, UPDATE or DELETE) to be sent with the next query or the commit. */
  defer(sql: string, params?: unknown[]): void;
  /** Runs fn once the transaction has committed (never if it rolls back); an error in fn is ignored. */
  afterCommit(fn: () => void): void;
}

/** How a transaction differs from the default one. */
export interface TransactionOptions {
  /**
   * MySQL/MariaDB: READ COMMITTED instead of the server's REPEATABLE READ, for this transaction
   * only. A locking read (`FOR UPDATE`) then locks the rows it returns and nothing else: no gap
   * locks, so rows inserted meanwhile into the range it read do not wait for its COMMIT, and rows it
   * passed over are not kept locked. For a claim on a queue that other transactions keep appending
   * to (README, "Webhooks", "Write throughput with a dead endpoint"). SQLite runs one write
   * transaction at a time: nothing to choose.
   */
  readCommitted?: boolean;
}

/** The afterCommit callbacks of one transaction, run once it has committed. */
class AfterCommit {
  private readonly fns: (() => void)[] = [];

  afterCommit(fn: () => void): void {
    this.fns.push(fn);
  }

  committed(): void {
    for (const fn of this.fns) {
      try {
        fn();
      } catch {
        // Committed already: a callback's failure is not the transaction's.
      }
    }
  }
}

/** What an INSERT, UPDATE or DELETE answers, as far as callers read it. */
export interface WriteResult {
  affectedRows: number;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

// ---- MySQL (mysql2 through TypeORM's driver) ----------------------------------------------------

type Callback = (err: Error | null, result: unknown) => void;

/** The callback API of a mysql2 pool connection, as TypeORM's MySQL driver hands it out. */
interface Mysql2Connection {
  query(sql: string, params: unknown[], cb: Callback): void;
  release(): void;
  destroy(): void;
}

export interface Mysql2Queryable {
  query(sql: string, params: unknown[], cb: Callback): void;
}

export function runMysql<R>(target: Mysql2Queryable, sql: string, params: unknown[]): Promise<R> {
  return new Promise((resolve, reject) =>
    target.query(sql, params, (err, result) => (err ? reject(err) : resolve(result as R))),
  );
}

class MysqlTransaction extends AfterCommit implements SqlTransaction {
  private pending: Statement[];

  constructor(
    private readonly conn: Mysql2Connection,
    options: TransactionOptions,
  ) {
    super();
    // Without SESSION or GLOBAL, SET TRANSACTION applies to the next transaction only: the pooled
    // connection goes back with the server's default.
    this.pending = [
      ...(options.readCommitted
        ? [{ sql: 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED', params: [] }]
        : []),
      { sql: 'START TRANSACTION', params: [] },
    ];
  }

  defer(sql: string, params: unknown[] = []): void {
    this.pending.push({ sql, params });
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<R> {
    this.defer(sql, params);
    const results = await this.flush();
    return results[results.length - 1] as R;
  }

  commit(): Promise<unknown> {
    this.defer('COMMIT');
    return this.flush();
  }

  /** Sends every pending statement in one packet; one result per statement. */
  private async flush(): Promise<unknown[]> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return [];
    if (batch.length === 1) return [await runMysql(this.conn, batch[0].sql, batch[0].params)];
    return runMysql<unknown[]>(
      this.conn,
      batch.map((s) => s.sql).join(';\n'),
      batch.flatMap((s) => s.params),
    );
  }
}

export async function mysqlTransaction<T>(
  driver: MysqlDriver,
  fn: (tx: SqlTransaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const conn = (await driver.obtainMasterConnection()) as Mysql2Connection;
  const tx = new MysqlTransaction(conn, options);
  try {
    const out = await fn(tx);
    await tx.commit();
    conn.release();
    tx.committed();
    return out;
  } catch (err) {
    // A failed batch stopped at its failing statement, before any COMMIT. If even the rollback
    // fails the connection is in an unknown state: drop it rather than return it to the pool.
    try {
      await runMysql(conn, 'ROLLBACK', []);
      conn.release();
    } catch {
      conn.destroy();
    }
    throw err;
  }
}

// ---- SQLite (better-sqlite3, TypeORM's one connection) ----------------------------------------

/** The parts of a better-sqlite3 connection used here. */
interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(sql: string): unknown;
  readonly inTransaction: boolean;
}

/** Prepared statements by SQL text: the per-request statements are a handful of fixed strings. */
export class SqliteStatements {
  private readonly cache = new Map<string, SqliteStatement>();

  constructor(readonly connection: SqliteConnection) {}

  /** The statement cache over the driver's connection (made anew if it was reopened). */
  static of(driver: BetterSqlite3Driver, current?: SqliteStatements): SqliteStatements {
    const connection = driver.databaseConnection as SqliteConnection;
    return current?.connection === connection ? current : new SqliteStatements(connection);
  }

  /** Rows for a statement that returns rows; `{ affectedRows }` for any other. */
  run<R>(sql: string, params: unknown[]): R {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      // Searches build their SQL per filter combination; keep the cache bounded all the same.
      if (this.cache.size >= 500) this.cache.clear();
      stmt = this.connection.prepare(sql);
      this.cache.set(sql, stmt);
    }
    // better-sqlite3 binds no booleans (TypeORM converts them the same way).
    const bound = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    if (stmt.reader) return stmt.all(...bound) as R;
    const result: WriteResult = { affectedRows: stmt.run(...bound).changes };
    return result as R;
  }
}

/**
 * SQLite runs in the process: nothing to save by batching, so deferred statements just run in
 * order, straight on the connection (the caller holds the serialized queue).
 */
class SqliteTransaction extends AfterCommit implements SqlTransaction {
  private pending: Statement[] = [];

  constructor(private readonly statements: SqliteStatements) {
    super();
  }

  defer(sql: string, params: unknown[] = []): void {
    this.pending.push({ sql, params });
  }

  query<R>(sql: string, params: unknown[] = []): Promise<R> {
    this.flush();
    return Promise.resolve(this.statements.run<R>(sql, params));
  }

  flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (const s of batch) this.statements.run(s.sql, s.params);
  }
}

/**
 * BEGIN IMMEDIATE takes SQLite's write lock up front: a read-then-write transaction that began
 * deferred could find another process holding the lock when it came to write, and fail. The
 * caller runs one unit at a time (see DatabaseService).
 */
export async function sqliteTransaction<T>(
  statements: SqliteStatements,
  fn: (tx: SqlTransaction) => Promise<T>,
): Promise<T> {
  statements.connection.exec('BEGIN IMMEDIATE');
  try {
    const tx = new SqliteTransaction(statements);
    const out = await fn(tx);
    tx.flush();
    statements.connection.exec('COMMIT');
    tx.committed();
    return out;
  } catch (err) {
    if (statements.connection.inTransaction) statements.connection.exec('ROLLBACK');
    throw err;
  }
}
