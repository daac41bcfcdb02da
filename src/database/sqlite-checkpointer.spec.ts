/**
 * The checkpoint worker's policy (sqlite-checkpointer.ts) against a real worker thread and a real
 * SQLite file, with a stand-in for the main connection that records what it is asked to do. The
 * writes come from a connection of the test's own with automatic checkpoints off, so every frame
 * copied into the database file is the worker's doing.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MainConnection,
  RESTART_FRAMES,
  SAFETY_FRAMES,
  SQLITE_DEFAULT_AUTOCHECKPOINT,
  SqliteCheckpointer,
} from './sqlite-checkpointer';

// better-sqlite3 ships no types: the parts used here.
interface Connection {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (file: string) => Connection;

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

jest.setTimeout(30_000);

describe('SqliteCheckpointer', () => {
  let file: string;
  let writer: Connection;
  let checkpointer: SqliteCheckpointer | undefined;
  let calls: string[];
  const main: MainConnection = {
    autocheckpoint: (frames) => calls.push(`autocheckpoint ${frames}`),
    finishCheckpoint: () => calls.push('finish'),
  };

  /** Frames in the WAL now, as the writer's own checkpoint reports them (all copied already here). */
  const walFrames = () => (writer.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0].log;

  /** Commits about `pages` pages (one row of 4,000 bytes each) in one transaction. */
  const write = (pages: number) =>
    writer
      .prepare(
        'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) ' +
          'INSERT INTO t (v) SELECT randomblob(4000) FROM n',
      )
      .run(pages);

  const start = () => {
    checkpointer = new SqliteCheckpointer({ database: file, nice: 0, intervalMs: 10 }, main);
    return checkpointer;
  };

  beforeEach(() => {
    calls = [];
    file = join(tmpdir(), `mc-checkpointer-${randomUUID()}.sqlite`);
    writer = new BetterSqlite3(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE t (v BLOB)');
  });

  afterEach(async () => {
    await checkpointer?.close();
    checkpointer = undefined;
    writer.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  });

  it('once running, leaves the main connection a checkpoint of its own only past SAFETY_FRAMES', async () => {
    const c = start();
    await until(() => c.stats().running, 'the worker runs');
    expect(calls).toEqual([`autocheckpoint ${SAFETY_FRAMES}`]);
    expect(SAFETY_FRAMES).toBeGreaterThan(RESTART_FRAMES);
  });

  it('copies every committed frame into the database file, so the next write starts the WAL over', async () => {
    const c = start();
    write(500);
    await until(
      () => c.stats().walFrames >= 500 && c.stats().checkpointedFrames === c.stats().walFrames,
      'the worker reports all 500+ frames copied',
    );
    // SQLite starts a WAL over at a write only when every frame of it is in the database file.
    write(1);
    expect(walFrames()).toBeLessThan(10);
  });

  it('asks the main connection to finish once the WAL holds RESTART_FRAMES, not before', async () => {
    const c = start();
    await until(() => c.stats().running, 'the worker runs');
    write(RESTART_FRAMES - 300);
    await until(() => c.stats().walFrames >= RESTART_FRAMES - 300, 'the worker reports the first write');
    expect(calls).not.toContain('finish');
    // All copied by now, so this write starts the WAL over: it must be past RESTART_FRAMES alone.
    write(RESTART_FRAMES + 100);
    await until(() => calls.includes('finish'), 'the main connection is asked to finish');
    expect(c.stats().walFrames).toBeGreaterThanOrEqual(RESTART_FRAMES);
  });

  it('gives the main connection its checkpoints back when the worker dies, and replaces it', async () => {
    const c = start();
    await until(() => c.stats().running, 'the worker runs');
    await c.thread().terminate();
    await until(() => calls.includes(`autocheckpoint ${SQLITE_DEFAULT_AUTOCHECKPOINT}`), 'the fallback');
    expect(c.stats().running).toBe(false);
    await until(() => c.stats().running, 'another worker runs');
    expect(c.stats().replaced).toBe(1);
    expect(calls).toEqual([
      `autocheckpoint ${SAFETY_FRAMES}`,
      `autocheckpoint ${SQLITE_DEFAULT_AUTOCHECKPOINT}`,
      `autocheckpoint ${SAFETY_FRAMES}`,
    ]);
    // The new one does the work.
    write(200);
    await until(
      () => c.stats().walFrames >= 200 && c.stats().checkpointedFrames === c.stats().walFrames,
      'the new worker copies the frames',
    );
  });

  it('a main connection that refuses the setting (closed, say) is logged, not thrown from the worker events', async () => {
    const refused: number[] = [];
    const closed: MainConnection = {
      autocheckpoint: (frames) => {
        refused.push(frames);
        throw new Error('The database connection is not open');
      },
      finishCheckpoint: () => undefined,
    };
    const c = new SqliteCheckpointer({ database: file, nice: 0, intervalMs: 10 }, closed);
    checkpointer = c;
    await until(() => c.stats().running, 'the worker runs');
    await c.thread().terminate();
    await until(() => c.stats().replaced === 1 && c.stats().running, 'another worker runs');
    expect(refused).toEqual([SAFETY_FRAMES, SQLITE_DEFAULT_AUTOCHECKPOINT, SAFETY_FRAMES]);
  });

  it('stops for good on close: no fallback, no replacement', async () => {
    const c = start();
    await until(() => c.stats().running, 'the worker runs');
    await c.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.stats()).toMatchObject({ running: false, replaced: 0 });
    expect(calls).toEqual([`autocheckpoint ${SAFETY_FRAMES}`]);
  });
});
