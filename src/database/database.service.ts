import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

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

  /** Runs fn inside one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) return this.dataSource.transaction(fn);
    return this.serialize(() => this.dataSource.transaction(fn));
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

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    // Keep the chain alive whatever this unit's outcome; the caller still sees its own error.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
