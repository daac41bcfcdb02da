/**
 * What every SQLite connection of the service needs before its first statement: the writer that
 * TypeORM opens (data-source-options.ts) and each read worker's own (sqlite-reader.worker.ts).
 * Kept free of other imports so a worker thread loads nothing else.
 */

/** The part of a better-sqlite3 connection this touches. */
export interface SqliteFunctionTarget {
  function(name: string, options: { deterministic: boolean }, fn: (v: unknown) => unknown): unknown;
}

/**
 * SQLite's built-in LOWER() folds ASCII only; searches are case-insensitive for every letter (É
 * matches é), as on MySQL, so replace it with JavaScript's Unicode-aware lower-casing. The prefix
 * indexes (migration 1733100000000) are built on this lower(), so every connection must agree.
 */
export function registerSqliteFunctions(db: SqliteFunctionTarget): void {
  db.function('lower', { deterministic: true }, (v) => (typeof v === 'string' ? v.toLowerCase() : v));
}
