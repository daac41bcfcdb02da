/**
 * SQLite's WAL checkpoints off the main thread (README, "What runs where"): the app starts a
 * checkpoint worker, the main connection then checkpoints only to start the WAL over, the WAL stays
 * bounded under writes that never pause, and a worker that dies hands the checkpoints back to the
 * main connection until another one runs. SQLite only: MySQL has no such thing.
 */
import { statSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { DatabaseService } from '../src/database/database.service';
import {
  RESTART_FRAMES,
  SAFETY_FRAMES,
  SQLITE_DEFAULT_AUTOCHECKPOINT,
} from '../src/database/sqlite-checkpointer';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';

const onSqlite = !process.env.E2E_DATABASE_URL;

/** Resolves once `check` holds; fails the test after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The main connection's automatic checkpoint, in frames (TypeORM's queries run on it). */
async function autocheckpoint(t: TestApp): Promise<number> {
  const [row] = await t.app
    .get(DataSource)
    .query<{ wal_autocheckpoint: number }[]>('PRAGMA wal_autocheckpoint');
  return row.wal_autocheckpoint;
}

(onSqlite ? describe : describe.skip)('SQLite checkpoints off the main thread', () => {
  let t: TestApp;
  let db: DatabaseService;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
    db = t.app.get(DatabaseService);
    await until(() => db.checkpointerStats()?.running === true, 'the checkpoint worker runs');
  });
  afterAll(() => t.close());

  it('start with the app: the main connection then checkpoints only past SAFETY_FRAMES', async () => {
    expect(await autocheckpoint(t)).toBe(SAFETY_FRAMES);
  });

  it('show in /health/ready and /metrics', async () => {
    const m = await newMerchant(t);
    await createStaxCustomer(t, m);
    await until(() => db.checkpointerStats()!.walFrames > 0, 'the worker reports the write');
    const ready = await http(t).get('/health/ready').expect(200);
    expect(ready.body.details.sqlite_checkpointer).toEqual({
      status: 'up',
      wal_frames: expect.any(Number),
      checkpointed_frames: expect.any(Number),
    });
    expect(ready.body.details.sqlite_checkpointer.wal_frames).toBeGreaterThan(0);
    const metrics = await http(t).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/sqlite_wal_frames\{state="total"\} [1-9]\d*/);
    expect(metrics.text).toMatch(/sqlite_wal_frames\{state="checkpointed"\} \d+/);
    expect(metrics.text).toMatch(/sqlite_checkpoint_worker_replaced 0/);
  });

  it('under writes that never pause, the WAL still starts over near RESTART_FRAMES', async () => {
    // Pages through the main connection's queue from four loops at once, so it is never idle: the
    // worker can never copy the whole WAL between two writes, and only the main connection's
    // finishing checkpoint lets it start over. Each round writes ~20 pages and frees them again,
    // so the file stays small while the WAL sees 2.5 × SAFETY_FRAMES frames.
    await db.query('CREATE TABLE scratch (v BLOB)');
    const walFile = `${t.databaseUrl.slice('sqlite:'.length)}-wal`;
    let largest = 0;
    let restarts = 0;
    let last = 0;
    const rounds = Math.ceil((2.5 * SAFETY_FRAMES) / 40 / 4);
    const loop = async () => {
      for (let i = 0; i < rounds; i++) {
        await db.query(
          'INSERT INTO scratch (v) SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) SELECT i FROM n)',
        );
        await db.query('DELETE FROM scratch');
        // As requests do, which come in as I/O: the worker's reports are messages, handled in turn.
        await new Promise((resolve) => setImmediate(resolve));
        const frames = db.checkpointerStats()!.walFrames;
        if (frames < last) restarts++;
        last = frames;
        largest = Math.max(largest, statSync(walFile).size);
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    expect(restarts).toBeGreaterThanOrEqual(2);
    // Without the finishing checkpoint the WAL would grow to SAFETY_FRAMES pages (4 KiB each).
    expect(largest).toBeLessThan(((RESTART_FRAMES + SAFETY_FRAMES) / 2) * 4096);
  }, 60_000);

  it('a worker that dies: writes go on, the main connection checkpoints, then another worker takes over', async () => {
    const m = await newMerchant(t);
    await db.checkpointerThread()!.terminate();
    await until(async () => (await autocheckpoint(t)) === SQLITE_DEFAULT_AUTOCHECKPOINT, 'the fallback');
    await createStaxCustomer(t, m, { firstname: 'During' });
    await until(() => db.checkpointerStats()!.running, 'another worker runs');
    expect(db.checkpointerStats()!.replaced).toBe(1);
    expect(await autocheckpoint(t)).toBe(SAFETY_FRAMES);
    await createStaxCustomer(t, m, { firstname: 'After' });
  });
});

(onSqlite ? describe : describe.skip)('SQLITE_CHECKPOINT_MS=0', () => {
  it('runs no checkpoint worker: SQLite checkpoints inside commits, as by default', async () => {
    const t = await startApp({ SQLITE_CHECKPOINT_MS: '0' });
    try {
      expect(t.app.get(DatabaseService).checkpointerStats()).toBeUndefined();
      expect(await autocheckpoint(t)).toBe(SQLITE_DEFAULT_AUTOCHECKPOINT);
    } finally {
      await t.close();
    }
  });
});
