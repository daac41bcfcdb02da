import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';
import type { Worker } from 'node:worker_threads';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Dialect, dialectOf } from './dialect';
import { CheckpointerStats, SqliteCheckpointer } from './sqlite-checkpointer';
import { ReaderStats, SqliteReaders } from './sqlite-readers';
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
 * The read workers' nice value: lists yield the CPU to the main thread's writes when the machine is
 * busy (README, "What runs where"; measured in bench/README.md, "Lists beside writes").
 */
const READ_WORKER_NICE = 10;

/** The checkpoint worker's nice value: copying pages yields the CPU to requests, as lists do. */
const CHECKPOINT_WORKER_NICE = 10;

/**
 * The way to the database, for repositories only. Four entry points:
 *
 * - `transaction(fn)`: plain SQL in one transaction (every customer write: the change, its audit
 *   entries and whatever the write's before-commit step adds commit together);
 * - `query(sql, params)`: one statement on its own (autocommit): a read, or a single write;
 * - `read(sql, params)`: a SELECT on its own that may read many rows (a search, an export page);
 * - `ormTransaction(fn)`: TypeORM's EntityManager in one transaction, for the rare writes
 *   (merchants, API keys) where speed does not matter.
 *
 * SQLite (better-sqlite3) has a single connection per process: two concurrent transactions would
 * interleave on it, and a read would see another request's uncommitted writes. So on SQLite every
 * unit of work runs one at a time through a queue. MySQL has a pool, row locks and real isolation,
 * so work there runs concurrently. What differs in SQL text is in `dialect`.
 *
 * better-sqlite3 is also synchronous: a statement on the main connection blocks the whole process.
 * So on SQLite `read` goes to a worker thread with its own read-only connection (sqlite-readers.ts;
 * README, "What runs where"), which WAL lets read while the main connection writes, and the WAL's
 * checkpoints run on another (sqlite-checkpointer.ts).
 */
@Injectable()
export class DatabaseService implements OnModuleInit, OnApplicationShutdown {
  readonly dialect: Dialect;
  private readonly logger = new Logger('DatabaseService');
  private queue: Promise<unknown> = Promise.resolve();
  private sqliteStatements?: SqliteStatements;
  private readers?: SqliteReaders;
  private checkpointer?: SqliteCheckpointer;
  /** A checkpoint of the main connection is waiting in the queue or running. */
  private finishing = false;

  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Starts the SQLite worker threads: the read workers (SQLITE_READ_WORKERS of them) and the
   * checkpoint worker (unless SQLITE_CHECKPOINT_MS is 0). None for an in-memory database, which
   * another thread cannot open, nor without the app's config (the provisioning CLI): `read` then
   * runs on the main connection, and SQLite checkpoints inside commits as it does by default.
   */
  onModuleInit(): void {
    const options = this.dataSource.options;
    if (options.type !== 'better-sqlite3' || options.database === ':memory:' || !this.config) return;
    const { sqliteReadWorkers, sqliteCheckpointMs } = this.config;
    if (sqliteReadWorkers > 0)
      this.readers = new SqliteReaders(
        { database: options.database, timeout: options.timeout ?? 5000, nice: READ_WORKER_NICE },
        sqliteReadWorkers,
      );
    if (sqliteCheckpointMs > 0)
      this.checkpointer = new SqliteCheckpointer(
        { database: options.database, nice: CHECKPOINT_WORKER_NICE, intervalMs: sqliteCheckpointMs },
        {
          autocheckpoint: (frames) => this.sqlite().connection.pragma(`wal_autocheckpoint = ${frames}`),
          finishCheckpoint: () => this.finishCheckpoint(),
        },
      );
  }

  /** After the HTTP server has drained (Nest closes it before these hooks), so a list in flight finishes. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.readers?.close(), this.checkpointer?.close()]);
  }

  /** The SQLite read workers' state (undefined when `read` runs on the main connection). */
  readerStats(): ReaderStats | undefined {
    return this.readers?.stats();
  }

  /** The checkpoint worker's state (undefined when SQLite checkpoints inside commits). */
  checkpointerStats(): CheckpointerStats | undefined {
    return this.checkpointer?.stats();
  }

  /** The checkpoint worker thread, for the tests that kill it. */
  checkpointerThread(): Worker | undefined {
    return this.checkpointer?.thread();
  }

  /** The read worker threads themselves, for the tests that kill one. */
  readerThreads(): Worker[] {
    return this.readers?.threads() ?? [];
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
    return this.onItsOwn<R>(sql, params);
  }

  /**
   * One SELECT on its own that may read many rows: on MySQL the pool, as `query`; on SQLite a read
   * worker, so it neither waits for the queue of writes nor blocks the process while it runs. It
   * sees every write committed before it was sent (a worker's statement outside a transaction
   * reads the latest commit), never one in progress.
   */
  read<R = Record<string, unknown>[]>(sql: string, params: unknown[] = []): Promise<R> {
    return this.readers ? this.readers.read<R>(sql, params) : this.onItsOwn<R>(sql, params);
  }

  /** A statement on its own on the pool (MySQL) or, in its turn, on the main connection (SQLite). */
  private onItsOwn<R>(sql: string, params: unknown[]): Promise<R> {
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

  /**
   * The main connection's part of a checkpoint (sqlite-checkpointer.ts): in its turn, so between
   * two units of work, it copies the frames committed since the worker's last checkpoint; the WAL
   * is then entirely copied and the next write starts it over. One at a time.
   */
  private finishCheckpoint(): void {
    if (this.finishing) return;
    this.finishing = true;
    this.serialize(async () => {
      this.sqlite().connection.pragma('wal_checkpoint(PASSIVE)');
    })
      .catch((err: Error) => this.logger.warn(`WAL checkpoint failed: ${err.message}`))
      .finally(() => {
        this.finishing = false;
      });
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    // Keep the chain alive whatever this unit's outcome; the caller still sees its own error.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
