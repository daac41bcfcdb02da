import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

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
}

interface Statement {
  sql: string;
  params: unknown[];
}

/** The callback API of a mysql2 pool connection, as TypeORM's MySQL driver hands it out. */
interface Mysql2Connection {
  query(sql: string, params: unknown[], cb: (err: Error | null, result: unknown) => void): void;
  release(): void;
  destroy(): void;
}

interface Mysql2Pool {
  query(sql: string, params: unknown[], cb: (err: Error | null, result: unknown) => void): void;
}

interface MysqlDriverLike {
  pool: Mysql2Pool;
  obtainMasterConnection(): Promise<Mysql2Connection>;
}

function run<R>(target: Mysql2Pool | Mysql2Connection, sql: string, params: unknown[]): Promise<R> {
  return new Promise((resolve, reject) =>
    target.query(sql, params, (err, result) => (err ? reject(err) : resolve(result as R))),
  );
}

class MysqlTransaction implements SqlTransaction {
  private pending: Statement[] = [{ sql: 'START TRANSACTION', params: [] }];

  constructor(private readonly conn: Mysql2Connection) {}

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
    if (batch.length === 1) return [await run(this.conn, batch[0].sql, batch[0].params)];
    return run<unknown[]>(
      this.conn,
      batch.map((s) => s.sql).join(';\n'),
      batch.flatMap((s) => s.params),
    );
  }
}

/** The parts of a better-sqlite3 connection used here (TypeORM's driver holds the one connection). */
interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  readonly inTransaction: boolean;
}

/** Prepared statements by SQL text: the per-request statements are a handful of fixed strings. */
class SqliteStatements {
  private readonly cache = new Map<string, SqliteStatement>();

  constructor(readonly connection: SqliteConnection) {}

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
    return (stmt.reader ? stmt.all(...bound) : stmt.run(...bound)) as R;
  }
}

/**
 * SQLite runs in the process: nothing to save by batching, so deferred statements just run in
 * order, straight on the connection (the caller holds the serialized queue).
 */
class SqliteTransaction implements SqlTransaction {
  private pending: Statement[] = [];

  constructor(private readonly statements: SqliteStatements) {}

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
 * The one place that knows how the two databases differ in running work.
 *
 * SQLite (better-sqlite3) has a single connection per process: TypeORM would interleave two
 * concurrent transactions on it, and a read would see another request's uncommitted writes.
 * So on SQLite every unit of work runs one at a time through a queue. MySQL has a pool, row
 * locks (SELECT … FOR UPDATE) and real isolation, so work there runs concurrently.
 */
@Injectable()
export class DatabaseService {
  readonly isSqlite: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.isSqlite = dataSource.options.type === 'better-sqlite3';
  }

  /**
   * Runs fn inside one transaction through TypeORM's EntityManager: everything it writes commits
   * together or not at all. For the rare writes (merchants, API keys); customer writes, which run
   * on every request, use `sqlTransaction`.
   */
  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) return this.dataSource.transaction(fn);
    return this.serialize(() => this.dataSource.transaction(fn));
  }

  /**
   * Runs fn inside one transaction of plain SQL (see SqlTransaction) and commits, sending the
   * statements it deferred with the COMMIT; rolls back if fn or any statement fails.
   */
  sqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    if (this.isSqlite) return this.serialize(() => this.sqliteTransaction(fn));
    return this.mysqlTransaction(fn);
  }

  /** One statement on its own (autocommit), straight to the driver: a read, or a single write. */
  query<R = Record<string, unknown>[]>(sql: string, params: unknown[] = []): Promise<R> {
    if (this.isSqlite) return this.serialize(async () => this.sqlite.run<R>(sql, params));
    return run<R>(this.mysqlDriver.pool, sql, params);
  }

  /** Runs read-only work; on SQLite it waits for any transaction in progress to finish. */
  read<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) return fn(this.dataSource.manager);
    return this.serialize(() => fn(this.dataSource.manager));
  }

  /**
   * Runs one write statement on its own: a single INSERT, UPDATE or DELETE is atomic without a
   * transaction around it, which would cost two more round trips (BEGIN, COMMIT). On SQLite it
   * still waits its turn, so it never lands inside another unit's open transaction.
   */
  statement<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.read(fn);
  }

  /** Whether reads for update need "FOR UPDATE": SQLite's serialized queue already excludes others. */
  get locksRows(): boolean {
    return !this.isSqlite;
  }

  private sqliteStatements?: SqliteStatements;

  /** The statement cache over TypeORM's one better-sqlite3 connection (made anew if it was reopened). */
  private get sqlite(): SqliteStatements {
    const connection = (this.dataSource.driver as unknown as { databaseConnection: SqliteConnection })
      .databaseConnection;
    if (this.sqliteStatements?.connection !== connection)
      this.sqliteStatements = new SqliteStatements(connection);
    return this.sqliteStatements;
  }

  /**
   * BEGIN IMMEDIATE takes SQLite's write lock up front: a read-then-write transaction that began
   * deferred could find another process holding the lock when it came to write, and fail.
   */
  private async sqliteTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const statements = this.sqlite;
    statements.connection.exec('BEGIN IMMEDIATE');
    try {
      const tx = new SqliteTransaction(statements);
      const out = await fn(tx);
      tx.flush();
      statements.connection.exec('COMMIT');
      return out;
    } catch (err) {
      if (statements.connection.inTransaction) statements.connection.exec('ROLLBACK');
      throw err;
    }
  }

  private get mysqlDriver(): MysqlDriverLike {
    return this.dataSource.driver as unknown as MysqlDriverLike;
  }

  private async mysqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const conn = await this.mysqlDriver.obtainMasterConnection();
    const tx = new MysqlTransaction(conn);
    try {
      const out = await fn(tx);
      await tx.commit();
      conn.release();
      return out;
    } catch (err) {
      // A failed batch stopped at its failing statement, before any COMMIT. If even the rollback
      // fails the connection is in an unknown state: drop it rather than return it to the pool.
      try {
        await run(conn, 'ROLLBACK', []);
        conn.release();
      } catch {
        conn.destroy();
      }
      throw err;
    }
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    // Keep the chain alive whatever this unit's outcome; the caller still sees its own error.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
