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

/** SQLite runs in the process: nothing to save by batching, so deferred statements just run in order. */
class EntityManagerTransaction implements SqlTransaction {
  private pending: Statement[] = [];

  constructor(private readonly em: EntityManager) {}

  defer(sql: string, params: unknown[] = []): void {
    this.pending.push({ sql, params });
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<R> {
    await this.flush();
    return this.em.query<R>(sql, params);
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    for (const s of batch) await this.em.query(s.sql, s.params);
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
    if (this.isSqlite) {
      return this.serialize(() =>
        this.dataSource.transaction(async (em) => {
          const tx = new EntityManagerTransaction(em);
          const out = await fn(tx);
          await tx.flush();
          return out;
        }),
      );
    }
    return this.mysqlTransaction(fn);
  }

  /** One statement on its own (autocommit), straight to the driver: a read, or a single write. */
  query<R = Record<string, unknown>[]>(sql: string, params: unknown[] = []): Promise<R> {
    if (this.isSqlite) return this.serialize(() => this.dataSource.manager.query<R>(sql, params));
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
