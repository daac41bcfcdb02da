/**
 * The SQLite checkpoint worker (README, "What runs where"): a worker thread with a read-write
 * connection of its own that, every SQLITE_CHECKPOINT_MS, copies what the main connection has
 * committed to the WAL into the database file and syncs both (a PASSIVE checkpoint: it neither
 * waits for the main connection nor blocks it), then reports how many frames the WAL holds and
 * how many of them are copied. sqlite-checkpointer.ts decides from that when the WAL starts over.
 * Imports nothing of the service but worker-threads.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerPriority } from './worker-threads';

// better-sqlite3 ships no types: the part used here.
interface CheckpointConnection {
  pragma(sql: string): unknown;
}
type OpenSqlite = new (
  file: string,
  options: { fileMustExist: boolean; timeout: number },
) => CheckpointConnection;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as OpenSqlite;

export interface CheckpointerOptions {
  database: string;
  /** The thread's nice value (Linux), above the process's so writes get the CPU first. */
  nice: number;
  /** The pause between two checkpoints (ms). */
  intervalMs: number;
}

/** `log`: frames in the WAL; `checkpointed`: how many of them are in the database file. */
export type CheckpointReply = { ready: true } | { log: number; checkpointed: number } | { error: string };

function main(port: NonNullable<typeof parentPort>, options: CheckpointerOptions): void {
  lowerPriority(options.nice);
  // No busy timeout: a checkpoint that cannot go on now is tried again at the next tick.
  const db = new BetterSqlite3(options.database, { fileMustExist: true, timeout: 0 });
  // As the main connection (data-source-options.ts): a checkpoint syncs the WAL before it copies
  // pages and the database file after, so a crash at any point loses no committed write.
  db.pragma('synchronous = NORMAL');
  port.postMessage({ ready: true } satisfies CheckpointReply);
  let last = '';
  const tick = () => {
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      // Only what changed: an idle service's WAL stays as it is, and its main thread sleeps.
      const now = `${r.log}/${r.checkpointed}`;
      if (now !== last)
        port.postMessage({ log: r.log, checkpointed: r.checkpointed } satisfies CheckpointReply);
      last = now;
    } catch (err) {
      port.postMessage({ error: String((err as Error).message) } satisfies CheckpointReply);
    }
    setTimeout(tick, options.intervalMs);
  };
  setTimeout(tick, options.intervalMs);
}

if (parentPort) main(parentPort, workerData as CheckpointerOptions);
