/**
 * One SQLite read worker (README, "Listing and searching customers", "What runs where"): a worker
 * thread with its own read-only better-sqlite3 connection to the service's database file, running
 * the SELECTs that sqlite-readers.ts sends it, one at a time. In WAL mode (data-source-options.ts)
 * it reads while the main connection writes, and each statement, outside any transaction, reads
 * the latest committed state. Imports nothing of the service but sqlite-functions.ts and worker-threads.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { registerSqliteFunctions, SqliteFunctionTarget } from './sqlite-functions';
import { lowerPriority } from './worker-threads';

// better-sqlite3 ships no types: the parts used here (as sql-transaction.ts does for the main one).
interface ReadStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
}
interface ReadConnection extends SqliteFunctionTarget {
  prepare(sql: string): ReadStatement;
}
type OpenSqlite = new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean; timeout: number },
) => ReadConnection;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as OpenSqlite;

export interface ReaderOptions {
  database: string;
  /** The worker thread's nice value (Linux), above the process's so writes get the CPU first. */
  nice: number;
  /** better-sqlite3's busy timeout (ms), as the main connection's. */
  timeout: number;
}

export interface ReadRequest {
  id: number;
  sql: string;
  params: unknown[];
}

export type ReadReply =
  | { ready: true }
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code?: string } };

function main(port: NonNullable<typeof parentPort>, options: ReaderOptions): void {
  // The options TypeORM's driver gives the main connection (no safeIntegers: numbers as numbers),
  // but read-only, and the file must be there already (the main connection made it).
  lowerPriority(options.nice);
  const db = new BetterSqlite3(options.database, {
    readonly: true,
    fileMustExist: true,
    timeout: options.timeout,
  });
  registerSqliteFunctions(db);
  const cache = new Map<string, ReadStatement>();

  port.on('message', ({ id, sql, params }: ReadRequest) => {
    try {
      let stmt = cache.get(sql);
      if (!stmt) {
        // The same bound as the main connection's cache (sql-transaction.ts).
        if (cache.size >= 500) cache.clear();
        stmt = db.prepare(sql);
        if (!stmt.reader)
          throw Object.assign(new Error('a read worker runs SELECTs only'), { code: 'NOT_A_READ' });
        cache.set(sql, stmt);
      }
      // better-sqlite3 binds no booleans (as SqliteStatements.run).
      const bound = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
      port.postMessage({ id, rows: stmt.all(...bound) } satisfies ReadReply);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id, error: { message: String(e.message), code: e.code } } satisfies ReadReply);
    }
  });
  port.postMessage({ ready: true } satisfies ReadReply);
}

if (parentPort) main(parentPort, workerData as ReaderOptions);
