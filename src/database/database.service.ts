import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';
import { Dialect, dialectOf } from './dialect';
import {
  Mysql2Queryable,
  mysqlTransaction,
  runMysql,
  SqlTransaction,
  SqliteStatements,
  sqliteTransaction,
  TransactionOptions,
} from './sql-transaction';

/**
 * The way to the database, for repositories only. Three entry points:
 *
 * - `transaction(fn)`: plain SQL in one transaction (every customer write: the change, its audit
 *   entries and whatever the write's before-commit step adds commit together);
 * - `query(sql, params)`: one statement on its own (autocommit): a read, or a single write;
 * - `ormTransaction(fn)`: TypeORM's EntityManager in one transaction, for the rare writes
 *   (merchants, API keys) where speed does not matter.
 *
 * SQLite (better-sqlite3) has a single connection per process: two concurrent transactions would
 * interleave on it, and a read would see another request's uncommitted writes. So on SQLite every
 * unit of work runs one at a time through a queue. MySQL has a pool, row locks and real isolation,
 * so work there runs concurrently. What differs in SQL text is in `dialect`.
 */
@Injectable()
export class DatabaseService {
  readonly dialect: Dialect;
  private queue: Promise<unknown> = Promise.resolve();
  private sqliteStatements?: SqliteStatements;

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Runs fn inside one transaction of plain SQL (see SqlTransaction) and commits, sending the
   * statements it deferred with the COMMIT; rolls back if fn or any statement fails.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const driver = this.dataSource.driver;
    if (driver instanceof MysqlDriver) return mysqlTransaction(driver, fn, options);
    return this.serialize(() => sqliteTransaction(this.sqlite(), fn));
  }

  /**
   * One statement on its own (autocommit), straight to the driver: rows for a SELECT,
   * `WriteResult` for an INSERT, UPDATE or DELETE. On SQLite it waits its turn, so it never lands
   * inside another unit's open transaction.
   */
  query<R = Record<string, unknown>[]>(sql: string, params: unknown[] = []): Promise<R> {
    const driver = this.dataSource.driver;
    if (driver instanceof MysqlDriver) {
      const pool = driver.pool as Mysql2Queryable;
      return runMysql<R>(pool, sql, params);
    }
    return this.serialize(async () => this.sqlite().run<R>(sql, params));
  }

  /** Runs fn inside one transaction through TypeORM's EntityManager: for the rare writes. */
  ormTransaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.driver instanceof MysqlDriver) return this.dataSource.transaction(fn);
    return this.serialize(() => this.dataSource.transaction(fn));
  }

  private sqlite(): SqliteStatements {
    const driver = this.dataSource.driver;
    if (!(driver instanceof BetterSqlite3Driver)) throw new Error('not an SQLite data source');
    this.sqliteStatements = SqliteStatements.of(driver, this.sqliteStatements);
    return this.sqliteStatements;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    // Keep the chain alive whatever this unit's outcome; the caller still sees its own error.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
