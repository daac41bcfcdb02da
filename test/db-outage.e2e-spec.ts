import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { AuthService } from '../src/auth/auth.service';
import { hasMariadb, PrivateMariadb } from './support/mariadb-server';
import { ServiceProcess, startServiceProcess } from './support/service-process';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';

/**
 * The database goes away under the service (SIGKILL, as in a crash) and comes back. Uses its
 * own MariaDB server on its own port, so the shared one is never disturbed. Runs in the MariaDB
 * pass of the suite.
 */
const run = process.env.E2E_DATABASE_URL?.startsWith('mysql') && hasMariadb();

(run ? describe : describe.skip)('database outage', () => {
  let db: PrivateMariadb;
  let svc: ServiceProcess;
  let auth: Record<string, string>;

  beforeAll(async () => {
    db = await PrivateMariadb.create();
    svc = await startServiceProcess({ DATABASE_URL: db.url, RATE_LIMIT_PER_MINUTE: '0' });
    const ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize();
    const k = await AuthService.over(ds).createMerchant('Outage');
    await ds.destroy();
    auth = { Authorization: `Bearer ${k.client_secret}` };
  }, 90_000);

  afterAll(async () => {
    await svc?.stop('SIGKILL');
    await db?.destroy();
  });

  it('fails fast with 503 while the database is down, turns /health/ready red, and recovers by itself', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(svc.url)
        .post('/customer')
        .set(auth)
        .send({ firstname: `C${i}` })
        .expect(200);
      ids.push(res.body.id as string);
    }

    // Load while the database dies: every request answers (2xx or 503), none hangs.
    let stop = false;
    const outcomes: number[] = [];
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        let n = 0;
        while (!stop) {
          const id = ids[(w + n) % ids.length];
          const res = await request(svc.url)
            .put(`/customer/${id}`)
            .set(auth)
            .send({ notes: `w${w}-${n++}-${randomUUID()}` })
            .timeout(10_000);
          outcomes.push(res.status);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    await db.kill();

    const started = Date.now();
    const down = await request(svc.url).get(`/customer/${ids[0]}`).set(auth).timeout(10_000);
    expect(down.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(down.body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      requestId: expect.any(String),
    });
    expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|SELECT|at /);
    expect(down.headers['x-should-retry']).toBe('true');
    const ready = await request(svc.url).get('/health/ready').timeout(10_000);
    expect(ready.status).toBe(503);

    await new Promise((r) => setTimeout(r, 300));
    await db.start();

    // No restart of the service: it serves again once the database is back.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await request(svc.url).get(`/customer/${ids[0]}`).set(auth).timeout(10_000);
      if (res.status === 200) break;
      expect(res.status).toBe(503);
      if (Date.now() > deadline) throw new Error('the service did not recover');
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await load;

    for (const s of outcomes) expect([200, 503]).toContain(s);
    expect(outcomes.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(outcomes.filter((s) => s === 503).length).toBeGreaterThan(0);
    await request(svc.url).get('/health/ready').expect(200);
    await request(svc.url).put(`/customer/${ids[1]}`).set(auth).send({ company: 'Back' }).expect(200);

    // Every committed change has its audit entry and no entry lacks its change:
    // per customer, version - 1 == the number of customer.updated entries.
    const conn = await createConnection(db.url);
    const [rows] = await conn.query(
      `SELECT c.id, c.version, (SELECT COUNT(*) FROM audit_entries a WHERE a.customer_id = c.id AND a.action = 'customer.updated') AS updates
       FROM customers c`,
    );
    await conn.end();
    for (const r of rows as { version: number; updates: number }[])
      expect(Number(r.updates)).toBe(r.version - 1);
  }, 120_000);
});
