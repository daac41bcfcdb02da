import type { DataSource } from 'typeorm';
import type { DatabaseKind } from './data-source-options';

/** Connections of the pool by state, for the `db_pool_connections` metric. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Every difference between MySQL/MariaDB and SQLite that SQL text or the driver shows, in one
 * object. The rest of the code writes SQL that reads the same on both (`?` placeholders,
 * identifiers quoted by the driver) and asks this object for the few pieces that differ. (How a
 * transaction runs on each lives beside it, in sql-transaction.ts; which driver error means what,
 * in db-errors.ts.)
 */
export interface Dialect {
  readonly kind: DatabaseKind;
  /**
   * Appended to a SELECT whose rows the transaction will change: MySQL locks them until COMMIT;
   * SQLite runs one write transaction at a time, so it needs (and has) no row locks.
   */
  readonly forUpdate: string;
  /**
   * Appended to a SELECT that claims queued rows (webhook deliveries): MySQL 8 and MariaDB 10.6+
   * lock the rows and pass over rows another instance has locked; SQLite has one process, whose
   * claims run one at a time.
   */
  readonly skipLocked: string;
  /**
   * Compares a text expression byte for byte. MySQL's utf8mb4_unicode_ci collation would also fold
   * accents (zoe would find Zoë) where SQLite does not, and a search must mean the same on both.
   */
  binary(expr: string): string;
  /** String concatenation of SQL expressions (NULL if any is NULL, on both). */
  concat(...exprs: string[]): string;
  /**
   * A column whose index the planner must not use for this condition. SQLite keeps no statistics
   * and, for `merchant_id = ? AND id IN (…)`, walks the merchant's index over every one of its
   * customers instead of looking the ids up by primary key; `+column` stops that. MySQL plans by cost.
   */
  unindexed(column: string): string;
  /**
   * A condition an index on the column (migration 1733100000000) reads as a range: every value
   * whose lower-cased text starts with the lower-cased `text` is in it. MySQL: `LIKE` on the
   * column's case-insensitive collation (a superset: it also folds accents; the search's own
   * byte-wise check stays beside it). SQLite: the index is on lower(column), compared with the
   * bounds lower(text) and lower(text) followed by the byte F4 90, above any UTF-8 character.
   * `pattern` is `text` as a LIKE pattern: escaped with '!' and ending in %.
   */
  prefixRange(column: string, text: string, pattern: string): { sql: string; params: unknown[] };
  /** After a table name: read it through this index (the planners of both may prefer a worse one). */
  useIndex(name: string): string;
  /**
   * A condition the primary key of customer_words reads as a range: the words (compared byte for
   * byte, utf8mb4_bin on MySQL) that start with `prefix`; `pattern` is it escaped with '!' and
   * ending in %. MySQL: LIKE, a range on a binary column. SQLite: the bounds prefix and prefix
   * followed by the byte F4 90 (above any UTF-8 character), as prefixRange.
   */
  wordPrefix(column: string, prefix: string, pattern: string): { sql: string; params: unknown[] };
  /**
   * Joins two tables reading the left one first, each of its rows looking up the right one.
   * Neither planner can know that a word's range is small; MariaDB would start from customers.
   */
  readonly joinLeftFirst: string;
  /** Starts an INSERT that skips rows whose primary key is already there. */
  readonly insertIgnore: string;
  /**
   * Appended to `INSERT … VALUES (…)`: when a row with the same primary key `key` exists, add the
   * inserted values of `columns` to its own instead (a counter kept by increments).
   */
  addOnConflict(key: string, columns: string[]): string;
  /** The connection pool's state; SQLite has one embedded connection. */
  poolStats(dataSource: DataSource): PoolStats;
  /**
   * Savepoints inside a transaction (one per item of a batch). Both databases spell them the
   * same; a MySQL error such as a duplicate key undoes only its statement, SQLite's ABORT
   * likewise, so ROLLBACK TO is what undoes the rest of the item.
   */
  readonly savepoint: (name: string) => string;
  readonly rollbackToSavepoint: (name: string) => string;
  readonly releaseSavepoint: (name: string) => string;
}

const SAVEPOINTS = {
  savepoint: (name: string) => `SAVEPOINT ${name}`,
  rollbackToSavepoint: (name: string) => `ROLLBACK TO SAVEPOINT ${name}`,
  releaseSavepoint: (name: string) => `RELEASE SAVEPOINT ${name}`,
};

/** The private fields of a mysql2 pool that tell its state (mysql2 has no public API for it). */
interface Mysql2PoolState {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

export const MYSQL: Dialect = {
  kind: 'mysql',
  forUpdate: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  binary: (expr) => `${expr} COLLATE utf8mb4_bin`,
  concat: (...exprs) => `CONCAT(${exprs.join(', ')})`,
  unindexed: (column) => column,
  prefixRange: (column, _text, pattern) => ({ sql: `${column} LIKE ? ESCAPE '!'`, params: [pattern] }),
  useIndex: (name) => ` FORCE INDEX (${name})`,
  wordPrefix: (column, _prefix, pattern) => ({ sql: `${column} LIKE ? ESCAPE '!'`, params: [pattern] }),
  joinLeftFirst: 'STRAIGHT_JOIN',
  insertIgnore: 'INSERT IGNORE',
  addOnConflict: (_key, columns) =>
    ` ON DUPLICATE KEY UPDATE ${columns.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ')}`,
  poolStats(dataSource) {
    const pool = (dataSource.driver as unknown as { pool?: Mysql2PoolState }).pool;
    const total = pool?._allConnections?.length ?? 0;
    return { total, idle: pool?._freeConnections?.length ?? 0, waiting: pool?._connectionQueue?.length ?? 0 };
  },
  ...SAVEPOINTS,
};

export const SQLITE: Dialect = {
  kind: 'sqlite',
  forUpdate: '',
  skipLocked: '',
  binary: (expr) => expr,
  concat: (...exprs) => `(${exprs.join(' || ')})`,
  unindexed: (column) => `+${column}`,
  prefixRange: (column, text) => ({
    sql: `LOWER(${column}) >= LOWER(?) AND LOWER(${column}) < LOWER(?) || CAST(x'F490' AS TEXT)`,
    params: [text, text],
  }),
  useIndex: (name) => ` INDEXED BY ${name}`,
  wordPrefix: (column, prefix) => ({
    sql: `${column} >= ? AND ${column} < ? || CAST(x'F490' AS TEXT)`,
    params: [prefix, prefix],
  }),
  joinLeftFirst: 'CROSS JOIN',
  insertIgnore: 'INSERT OR IGNORE',
  addOnConflict: (key, columns) =>
    ` ON CONFLICT (${key}) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  poolStats: (dataSource) => ({ total: dataSource.isInitialized ? 1 : 0, idle: 0, waiting: 0 }),
  ...SAVEPOINTS,
};

export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'better-sqlite3' ? SQLITE : MYSQL;
}
