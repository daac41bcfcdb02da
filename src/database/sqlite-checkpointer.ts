/**
 * WAL checkpoints off the main thread (README, "What runs where"). Left to itself, SQLite runs a
 * checkpoint inside the commit that takes the WAL past 1,000 pages: it copies them into the
 * database file and syncs both files, and on better-sqlite3 that stalls the whole process for
 * milliseconds every few dozen writes (bench/README.md, "Checkpoints off the main thread").
 *
 * So while the checkpoint worker (sqlite-checkpointer.worker.ts) runs, it does that copying and
 * syncing every SQLITE_CHECKPOINT_MS, and the main connection only finishes the job once the WAL
 * holds RESTART_FRAMES: a checkpoint of the few frames committed since the worker's last one,
 * after which the next write starts the WAL over (SQLite restarts a WAL that is entirely copied).
 * The main connection's own automatic checkpoint stays as a bound, at SAFETY_FRAMES, should the
 * worker fall behind; while no worker runs (starting, or replaced after it died) it is SQLite's
 * default again.
 */
import type { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { CheckpointerOptions, CheckpointReply } from './sqlite-checkpointer.worker';
import { startWorkerThread } from './worker-threads';

/** SQLite's default automatic checkpoint, in frames (pages). */
export const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

/** The WAL length (frames) at which the main connection finishes the worker's checkpoint. */
export const RESTART_FRAMES = 4000;

/** The main connection's automatic checkpoint while the worker runs: never reached if it keeps up. */
export const SAFETY_FRAMES = 4 * RESTART_FRAMES;

/** How long to wait before replacing a worker that died. */
const RESPAWN_DELAY_MS = 1000;

/** What the checkpointer needs of the main connection (DatabaseService owns it). */
export interface MainConnection {
  /** Sets the main connection's automatic checkpoint (frames). */
  autocheckpoint(frames: number): void;
  /** Runs a checkpoint on the main connection in its turn, between two units of work. */
  finishCheckpoint(): void;
}

export interface CheckpointerStats {
  running: boolean;
  /** Frames in the WAL and how many are in the database file, at the worker's last report. */
  walFrames: number;
  checkpointedFrames: number;
  /** Workers replaced since start-up. */
  replaced: number;
}

export class SqliteCheckpointer {
  private readonly logger = new Logger('SqliteCheckpointer');
  private worker: Worker;
  private running = false;
  private closing = false;
  private replaced = 0;
  private last = { log: 0, checkpointed: 0 };

  constructor(
    private readonly options: CheckpointerOptions,
    private readonly main: MainConnection,
  ) {
    this.worker = this.spawn();
  }

  stats(): CheckpointerStats {
    return {
      running: this.running,
      walFrames: this.last.log,
      checkpointedFrames: this.last.checkpointed,
      replaced: this.replaced,
    };
  }

  /** The worker thread itself, for the tests that kill it. */
  thread(): Worker {
    return this.worker;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  /** From an event handler: a main connection already closed (the app stopping) is logged, not thrown. */
  private autocheckpoint(frames: number): void {
    try {
      this.main.autocheckpoint(frames);
    } catch (err) {
      this.logger.warn(`Could not set the main connection's automatic checkpoint: ${(err as Error).message}`);
    }
  }

  private spawn(): Worker {
    const worker = startWorkerThread('sqlite-checkpointer.worker', this.options);
    let failure: Error | undefined;
    worker.on('message', (m: CheckpointReply) => {
      if ('ready' in m) {
        this.running = true;
        this.autocheckpoint(SAFETY_FRAMES);
      } else if ('error' in m) {
        this.logger.warn(`WAL checkpoint failed: ${m.error}`);
      } else {
        this.last = m;
        if (m.log >= RESTART_FRAMES) this.main.finishCheckpoint();
      }
    });
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      const wasRunning = this.running;
      this.running = false;
      if (this.closing) return;
      this.autocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
      this.logger.warn(
        `The SQLite checkpoint worker stopped (exit code ${code}${failure ? `: ${failure.message}` : ''}); ` +
          'the main connection checkpoints until another starts',
      );
      const replace = () => {
        if (this.closing) return;
        this.worker = this.spawn();
        this.replaced++;
      };
      // One that never opened the database would fail again at once.
      if (wasRunning) replace();
      else setTimeout(replace, RESPAWN_DELAY_MS).unref();
    });
    // It never keeps the process alive (the CLI, a test that forgot to close the app).
    worker.unref();
    return worker;
  }
}
