/**
 * DatabaseService.transaction, the path every customer write takes: statements deferred to the
 * COMMIT travel in one packet on MySQL, so these tests pin down what batching must not change —
 * all or nothing, the failing statement's error reaches the caller, and a connection goes back to
 * the pool clean (no transaction left open for the next request to inherit).
 */
import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { DatabaseService } from '../src/database/database.service';
import { uniqueViolation } from '../src/database/db-errors';
import { startApp, TestApp } from './support/app';

describe('DatabaseService.transaction (customer writes)', () => {
  let t: TestApp;
  let db: DatabaseService;
  const table = `tx_probe_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(DatabaseService);
    await db.query(`CREATE TABLE ${table} (id varchar(64) PRIMARY KEY, v varchar(20))`);
  });

  afterAll(async () => {
    await db.query(`DROP TABLE ${table}`);
    await t.close();
  });

  const ids = async (): Promise<string[]> =>
    (await db.query<{ id: string }[]>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id);

  it('commits deferred statements with the transaction, and a query sees the ones deferred before it', async () => {
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    const seen = await db.transaction(async (tx) => {
      tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [a, 'one; two']);
      const rows = await tx.query<{ v: string }[]>(`SELECT v FROM ${table} WHERE id = ?`, [a]);
      tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [b, "it's ?"]);
      return rows.map((r) => r.v);
    });
    expect(seen).toEqual(['one; two']);
    const stored = await db.query<{ id: string; v: string }[]>(
      `SELECT id, v FROM ${table} WHERE id IN (?, ?) ORDER BY id`,
      [a, b],
    );
    expect(stored).toEqual([
      { id: a, v: 'one; two' },
      { id: b, v: "it's ?" },
    ]);
  });

  it('commits nothing when a deferred statement fails, and reports that statement’s error', async () => {
    const before = await ids();
    const fresh = `c-${randomUUID()}`;
    const err = await db
      .transaction(async (tx) => {
        tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [fresh, 'lost']);
        // Collides with a row committed by the previous test: fails at COMMIT time, in the batch.
        tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [before[0], 'dup']);
        tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [`d-${randomUUID()}`, 'after']);
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(uniqueViolation(err)).toBeDefined();
    expect(await ids()).toEqual(before);
  });

  it('commits nothing when the work throws after statements were sent', async () => {
    const before = await ids();
    await expect(
      db.transaction(async (tx) => {
        tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [`e-${randomUUID()}`, 'sent']);
        await tx.query(`SELECT COUNT(*) AS n FROM ${table}`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ids()).toEqual(before);
  });

  it('runs afterCommit callbacks once committed, with the rows visible to others, and never after a rollback', async () => {
    const id = `f-${randomUUID()}`;
    let seen: Promise<string[]> | undefined;
    let ran = 0;
    await db.transaction(async (tx) => {
      tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [id, 'x']);
      tx.afterCommit(() => {
        ran++;
        // Another connection's read, started from the callback: the commit is already done.
        seen = db
          .query<{ id: string }[]>(`SELECT id FROM ${table} WHERE id = ?`, [id])
          .then((rows) => rows.map((r) => r.id));
        throw new Error('a failing callback is not the transaction’s failure');
      });
      expect(ran).toBe(0);
    });
    expect(ran).toBe(1);
    expect(await seen).toEqual([id]);

    let rolledBack = 0;
    await expect(
      db.transaction(async (tx) => {
        tx.afterCommit(() => rolledBack++);
        tx.defer(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [id, 'dup']);
      }),
    ).rejects.toBeDefined();
    expect(rolledBack).toBe(0);
  });

  it('returns every pooled connection clean after failures: later autocommit writes stay committed', async () => {
    // Fail many transactions (more than the pool has connections), then write outside any
    // transaction on every connection: if a failed one had been left open, these writes would
    // sit in it and vanish.
    const failures = Array.from({ length: 25 }, () =>
      db
        .transaction(async (tx) => {
          await tx.query(`SELECT 1`);
          tx.defer(`INSERT INTO nowhere_${randomUUID().slice(0, 8)} VALUES (1)`);
        })
        .catch(() => 'failed'),
    );
    expect(await Promise.all(failures)).toEqual(Array(25).fill('failed'));
    const written = Array.from({ length: 25 }, () => `f-${randomUUID()}`);
    await Promise.all(written.map((id) => db.query(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [id, 'x'])));
    if (db.dialect.kind === 'mysql') {
      const open = await Promise.all(
        Array.from({ length: 10 }, () => db.query<{ t: number }[]>('SELECT @@in_transaction AS t')),
      );
      expect(open.map((r) => Number(r[0].t))).toEqual(Array(10).fill(0));
    }
    if (db.dialect.kind === 'mysql') {
      // Read through a connection of its own: it only sees what was committed.
      const outside = await createConnection(t.databaseUrl);
      try {
        const [rows] = await outside.query(`SELECT id FROM ${table}`);
        expect((rows as { id: string }[]).map((r) => r.id)).toEqual(expect.arrayContaining(written));
      } finally {
        await outside.end();
      }
    }
    expect(await ids()).toEqual(expect.arrayContaining(written));
  });
});
