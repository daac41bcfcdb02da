/**
 * SQLite's read workers (README, "What runs where"): searches run on worker threads with read-only
 * connections of their own, so a slow one never stalls a write. The answers are the main
 * connection's, a read sees every write committed before it, a worker that dies fails its query
 * with a 503 and is replaced, and closing the app stops them all. SQLite only: on MySQL `read` is
 * the pool, which the search specs cover on both databases.
 */
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { DatabaseService } from '../src/database/database.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

const onSqlite = !process.env.E2E_DATABASE_URL;

/** Rows enough that a keyword search over them (JavaScript lower() per column per row) takes a while. */
const SLOW_ROWS = 60_000;

/**
 * Copies a merchant's customer `count` times with new ids and emails, straight into the table: a
 * book large enough for a slow search, in a second instead of minutes of POSTs.
 */
async function seedCopies(t: TestApp, m: TestMerchant, count: number): Promise<void> {
  const template = await createStaxCustomer(t, m, {
    firstname: 'Seed',
    lastname: 'Row',
    notes: 'a b c d e f',
  });
  const ds = t.app.get(DataSource);
  const columns = await ds.query<{ name: string }[]>(`PRAGMA table_info(customers)`);
  const fresh: Record<string, string> = {
    id: `lower(hex(randomblob(16)))`,
    email: `'seed.' || n.i || '@example.com'`,
    email_key: `'seed.' || n.i || '@example.com'`,
  };
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const select = columns.map((c) => fresh[c.name] ?? `c."${c.name}"`).join(', ');
  await ds.query(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO customers (${names}) SELECT ${select} FROM n, customers c WHERE c.id = ?`,
    [count, template.id],
  );
}

/** Resolves once `check` holds, polling each event-loop turn; fails the test after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

(onSqlite ? describe : describe.skip)('SQLite read workers', () => {
  let t: TestApp;
  let db: DatabaseService;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0', SQLITE_READ_WORKERS: '2' });
    db = t.app.get(DatabaseService);
  });
  afterAll(() => t.close());

  const list = (m: TestMerchant, query: string) => http(t).get(`/customer?${query}`).set(m.bearer);
  const stats = () => db.readerStats()!;

  it('start with the app, SQLITE_READ_WORKERS of them', () => {
    expect(stats()).toMatchObject({ workers: 2, inFlight: 0 });
    expect(db.readerThreads()).toHaveLength(2);
  });

  (process.platform === 'linux' ? it : it.skip)(
    'run at a lower priority than the main thread, as the checkpoint worker does (Linux)',
    async () => {
      // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value.
      const niceOf = (tid: string) =>
        Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
      const niced = () => readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === 10).length;
      // Both read workers and the checkpoint worker (README, "What runs where"), and no other thread.
      await until(
        () => niced() === 3,
        'both read workers and the checkpoint worker have lowered their priority',
      );
      expect(niceOf(String(process.pid))).toBe(0);
    },
  );

  it('show in /health/ready and /metrics', async () => {
    const ready = await http(t).get('/health/ready').expect(200);
    expect(ready.body.details.sqlite_readers).toEqual({ status: 'up', workers: 2, busy: 0 });
    const metrics = await http(t).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/sqlite_read_workers\{state="running"\} 2/);
    expect(metrics.text).toMatch(/sqlite_read_workers_replaced \d+/);
  });

  it('answer what the main connection answers, value types included', async () => {
    const m = await newMerchant(t);
    await createStaxCustomer(t, m, { firstname: 'Zoë', lastname: 'Ådahl', notes: null, company: 'Ä & Co' });
    await createStaxCustomer(t, m, { firstname: 'Ann', lastname: 'Smith', cc_emails: ['a@example.com'] });
    const all = `SELECT * FROM customers WHERE merchant_id = ? ORDER BY id`;
    const viaWorker = await db.read(all, [m.merchantId]);
    expect(viaWorker).toHaveLength(2);
    expect(viaWorker).toStrictEqual(await db.query(all, [m.merchantId]));
    // Every value type SQLite has, and the service's own lower() (Unicode-aware) in the worker too.
    const types = `SELECT 42 AS i, 1.5 AS r, NULL AS n, 'Ünï' AS t, x'00ff10' AS b, 9007199254740991 AS big,
      lower('ÉCOLE') AS folded, ? AS bound_true, ? AS bound_text`;
    const fromWorker = await db.read<Record<string, unknown>[]>(types, [true, 'x']);
    expect(fromWorker).toStrictEqual(await db.query(types, [true, 'x']));
    expect(Buffer.isBuffer(fromWorker[0].b)).toBe(true);
    expect(fromWorker[0]).toMatchObject({
      i: 42,
      big: Number.MAX_SAFE_INTEGER,
      folded: 'école',
      bound_true: 1,
    });
  });

  it('return the same search pages as the main connection', async () => {
    const m = await newMerchant(t);
    for (const [firstname, lastname] of [
      ['Ann', 'Smith'],
      ['Bob', 'Smithson'],
      ['Émile', 'Goldsmith'],
      ['Zoë', 'Smith'],
    ])
      await createStaxCustomer(t, m, { firstname, lastname });
    // Another app over the same file with the workers off: every read on its main connection.
    const plain = await startApp(
      { RATE_LIMIT_PER_MINUTE: '0', SQLITE_READ_WORKERS: '0' },
      { databaseUrl: t.databaseUrl },
    );
    try {
      expect(plain.app.get(DatabaseService).readerStats()).toBeUndefined();
      for (const query of [
        '',
        'lastname=smith',
        'keywords[]=smi&per_page=2&page=2',
        'firstname=%C3%A9mile',
        'sort=lastname&order=asc',
      ]) {
        const [a, b] = await Promise.all([
          list(m, query).expect(200),
          http(plain).get(`/customer?${query}`).set(m.bearer).expect(200),
        ]);
        const body = (r: { body: unknown }) =>
          JSON.parse(JSON.stringify(r.body).replaceAll(/http:\/\/127\.0\.0\.1:\d+/g, ''));
        expect(body(a)).toEqual(body(b));
      }
    } finally {
      await plain.close();
    }
  });

  it('see a write committed just before, every time', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { lastname: 'Before' });
    for (let i = 0; i < 20; i++) {
      const lastname = `After${i}x`;
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ lastname }).expect(200);
      const found = await list(m, `lastname=${lastname}`).expect(200);
      expect(found.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
      expect(found.body.total).toBe(1);
    }
  });

  describe('with a slow search', () => {
    let m: TestMerchant;
    let target: { id: string };
    beforeAll(async () => {
      m = await newMerchant(t);
      target = await createStaxCustomer(t, m, { lastname: 'Target' });
      await seedCopies(t, m, SLOW_ROWS);
    });

    /**
     * A filter nothing serves (cities: no index, not in the word table) that matches no one: the
     * page and the capped count both read every row.
     */
    const slowSearch = () => list(m, 'address_city=nobodyhasthisname').then((r) => r);

    it('a PUT sent while it runs completes before it', async () => {
      const order: string[] = [];
      const search = slowSearch().then((r) => {
        order.push('search');
        return r;
      });
      await until(() => stats().busy > 0, 'the search is in a worker');
      const put = await http(t).put(`/customer/${target.id}`).set(m.bearer).send({ firstname: 'Written' });
      order.push('put');
      expect(put.status).toBe(200);
      // The search was still running when the write came back.
      expect(stats().busy).toBeGreaterThan(0);
      const done = await search;
      expect(done.status).toBe(200);
      expect(done.body.data).toEqual([]);
      expect(order).toEqual(['put', 'search']);
    });

    it('a worker killed under it fails it with a 503 and is replaced', async () => {
      const replacedBefore = stats().replaced;
      const search = slowSearch();
      await until(() => stats().busy > 0, 'the search is in a worker');
      const threads = db.readerThreads();
      await Promise.all(threads.map((w) => w.terminate()));
      const res = await search;
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      await until(
        () => stats().replaced >= replacedBefore + threads.length && stats().workers === 2,
        'replaced',
      );
      expect(db.readerThreads().some((w) => threads.includes(w))).toBe(false);
      const after = await list(m, 'lastname=target').expect(200);
      expect(after.body.data.map((x: { id: string }) => x.id)).toEqual([target.id]);
    });
  });

  it('closing the app stops every worker', async () => {
    const other = await startApp({ SQLITE_READ_WORKERS: '3' }, { databaseUrl: t.databaseUrl });
    const threads = other.app.get(DatabaseService).readerThreads();
    expect(threads).toHaveLength(3);
    const exited = threads.map((w) => once(w, 'exit'));
    await other.close();
    await Promise.all(exited);
    expect(threads.every((w) => w.threadId === -1)).toBe(true);
  });

  it('an in-memory database reads on the main connection (no thread can open it)', async () => {
    const memory = await startApp({ SQLITE_READ_WORKERS: '2' }, { databaseUrl: 'sqlite::memory:' });
    try {
      const mdb = memory.app.get(DatabaseService);
      expect(mdb.readerStats()).toBeUndefined();
      const m = await newMerchant(memory);
      const c = await createStaxCustomer(memory, m, { lastname: 'Memory' });
      const res = await http(memory).get('/customer?lastname=memory').set(m.bearer).expect(200);
      expect(res.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
    } finally {
      await memory.close();
    }
  });
});
