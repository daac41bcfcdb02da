/**
 * The SQLite read workers behind `DatabaseService.read` (README, "What runs where"): a few worker
 * threads, each with its own read-only connection (sqlite-reader.worker.ts), so a slow search or
 * export page runs beside the main connection's writes instead of blocking the process.
 */
import type { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { ReaderOptions, ReadReply, ReadRequest } from './sqlite-reader.worker';
import { startWorkerThread } from './worker-threads';

/** A read worker died (or the pool is closing) with this query in it: answered 503 (db-errors.ts). */
export class ReadWorkerLost extends Error {
  readonly code = 'SQLITE_READER_LOST';
}

/** How long to wait before replacing a worker that died before it could open the database. */
const RESPAWN_DELAY_MS = 1000;

interface Pending {
  resolve(rows: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending>;
  /** Opened its connection (a worker that dies before that is replaced after a delay). */
  ready: boolean;
  exited: boolean;
}

export interface ReaderStats {
  /** Workers configured (SQLITE_READ_WORKERS). */
  size: number;
  /** Workers running (the configured size, but for one being replaced). */
  workers: number;
  /** Workers with a query. */
  busy: number;
  /** Queries sent and not answered yet (running or waiting in a worker's queue). */
  inFlight: number;
  /** Workers replaced since start-up. */
  replaced: number;
}

/** Buffers arrive from a worker as plain Uint8Arrays (structured clone): make them Buffers again. */
function revive(rows: unknown[]): unknown[] {
  for (const row of rows as Record<string, unknown>[]) {
    for (const key in row) {
      const v = row[key];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v))
        row[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  return rows;
}

export class SqliteReaders {
  private readonly logger = new Logger('SqliteReaders');
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  private replaced = 0;

  constructor(
    private readonly options: ReaderOptions,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Runs one SELECT on the least busy worker; resolves to its rows. */
  read<R>(sql: string, params: unknown[]): Promise<R> {
    const live = this.slots.filter((s) => !s.exited);
    if (this.closing || live.length === 0) {
      return Promise.reject(
        new ReadWorkerLost(
          this.closing ? 'The service is shutting down' : 'No SQLite read worker is running',
        ),
      );
    }
    const slot = live.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      // A worker with a query keeps the process alive (the export CLI has nothing else waiting).
      if (slot.inFlight.size === 0) slot.worker.ref();
      slot.inFlight.set(id, { resolve, reject });
      slot.worker.postMessage({ id, sql, params } satisfies ReadRequest);
    });
  }

  stats(): ReaderStats {
    const live = this.slots.filter((s) => !s.exited);
    return {
      size: this.size,
      workers: live.length,
      busy: live.filter((s) => s.inFlight.size > 0).length,
      inFlight: live.reduce((n, s) => n + s.inFlight.size, 0),
      replaced: this.replaced,
    };
  }

  /** The worker threads, for the tests that kill one. */
  threads(): Worker[] {
    return this.slots.filter((s) => !s.exited).map((s) => s.worker);
  }

  /** Stops every worker; queries still in them fail with ReadWorkerLost. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const slot: Slot = {
      worker: startWorkerThread('sqlite-reader.worker', this.options),
      inFlight: new Map(),
      ready: false,
      exited: false,
    };
    let failure: Error | undefined;
    slot.worker.on('message', (m: ReadReply) => {
      if ('ready' in m) {
        slot.ready = true;
        return;
      }
      const pending = slot.inFlight.get(m.id);
      if (!pending) return;
      slot.inFlight.delete(m.id);
      if (slot.inFlight.size === 0) slot.worker.unref();
      if ('rows' in m) pending.resolve(revive(m.rows));
      else pending.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    });
    slot.worker.on('error', (err) => {
      failure = err;
    });
    slot.worker.on('exit', (code) => {
      slot.exited = true;
      const why = this.closing
        ? 'The service is shutting down'
        : `An SQLite read worker stopped (exit code ${code}${failure ? `: ${failure.message}` : ''}) during this query`;
      for (const pending of slot.inFlight.values()) pending.reject(new ReadWorkerLost(why));
      slot.inFlight.clear();
      if (this.closing) return;
      this.logger.warn(`${why.replace(' during this query', '')}; starting another`);
      const replace = () => {
        if (this.closing) return;
        this.slots[this.slots.indexOf(slot)] = this.spawn();
        this.replaced++;
      };
      // One that never opened the database (a missing file, say) would fail again at once.
      if (slot.ready) replace();
      else setTimeout(replace, RESPAWN_DELAY_MS).unref();
    });
    // An idle worker never keeps the process alive (a test that forgot to close the app).
    slot.worker.unref();
    return slot;
  }
}
