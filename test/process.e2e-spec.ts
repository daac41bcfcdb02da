import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { startServiceProcess, ServiceProcess } from './support/service-process';

const mysqlUrl = process.env.E2E_DATABASE_URL?.startsWith('mysql') ? process.env.E2E_DATABASE_URL : undefined;

async function provision(url: string) {
  // The demo merchant is off in production; make a merchant through the running process's database.
  const { DataSource } = await import('typeorm');
  const { dataSourceOptions } = await import('../src/database/data-source-options');
  const { AuthService } = await import('../src/auth/auth.service');
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  try {
    const k = await AuthService.over(ds).createMerchant('Process test');
    return k;
  } finally {
    await ds.destroy();
  }
}

describe('the service as a process', () => {
  let svc: ServiceProcess;
  let databaseUrl: string;
  let sqliteFile: string | undefined;

  beforeAll(async () => {
    if (mysqlUrl) databaseUrl = mysqlUrl;
    else {
      sqliteFile = join(tmpdir(), `mc-process-${randomUUID()}.sqlite`);
      databaseUrl = `sqlite:${sqliteFile}`;
    }
    svc = await startServiceProcess({ DATABASE_URL: databaseUrl, RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await svc?.stop('SIGKILL');
    if (sqliteFile)
      for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
  });

  it('logs one JSON line per request with request id, merchant, route, status and duration, and never a secret', async () => {
    const k = await provision(databaseUrl);
    const requestId = `log-test-${randomUUID()}`;
    const created = await request(svc.url)
      .post('/customer')
      .set('Authorization', `Bearer ${k.client_secret}`)
      .set('x-request-id', requestId)
      .send({ firstname: 'Log', email: `log.${randomUUID()}@example.com` })
      .expect(200);
    await request(svc.url)
      .get(`/customer/${created.body.id}`)
      .set('x-client-key', k.client_key)
      .set('x-client-secret', k.client_secret)
      .expect(200);
    const lastId = `log-test-last-${randomUUID()}`;
    await request(svc.url)
      .get('/customer')
      .set('x-client-key', k.client_key)
      .set('x-client-secret', 'wrong')
      .set('x-request-id', lastId)
      .expect(401);

    // Access log lines are written when responses finish and reach us through a pipe: wait for the
    // last request's line, so every line before it is there too.
    const deadline = Date.now() + 10_000;
    while (!svc.output().includes(`"id":"${lastId}"`) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const lines = svc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => (l.req as { id?: string } | undefined)?.id === requestId);
    expect(line).toMatchObject({
      merchantId: k.merchant_id,
      route: '/customer',
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
    // The line names the request, not its headers: no credential can reach the log that way.
    expect(line!.req).toEqual({ id: requestId, method: 'POST', url: '/customer' });
    const all = svc.output();
    expect(all).not.toContain(k.client_secret);
    expect(all).not.toContain('"wrong"');
  });

  (mysqlUrl ? it : it.skip)(
    'on SIGTERM finishes the request in flight, then exits cleanly',
    async () => {
      const k = await provision(databaseUrl);
      const auth = { Authorization: `Bearer ${k.client_secret}` };
      const c = await request(svc.url).post('/customer').set(auth).send({ firstname: 'Slow' }).expect(200);

      // Hold the customer's row lock from outside, so the PUT is provably in flight when SIGTERM lands.
      const conn = await createConnection(mysqlUrl!);
      await conn.query('START TRANSACTION');
      await conn.query('SELECT id FROM customers WHERE id = ? FOR UPDATE', [c.body.id]);
      const inFlight = request(svc.url)
        .put(`/customer/${c.body.id}`)
        .set(auth)
        .send({ lastname: 'Finished' })
        .then((r) => r);
      // Wait until the PUT is blocked on the lock (visible in the processlist), then signal.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [rows] = await conn.query(
          "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE '%FOR UPDATE%' AND id <> CONNECTION_ID()",
        );
        if ((rows as { n: number }[])[0].n > 0) break;
        if (Date.now() > deadline) throw new Error('the PUT never reached the database');
        await new Promise((r) => setTimeout(r, 20));
      }
      const exit = svc.stop('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      // New connections are refused while it drains.
      await expect(fetch(`${svc.url}/health/live`)).rejects.toThrow();
      await conn.query('COMMIT');
      await conn.end();

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body.lastname).toBe('Finished');
      expect(await exit).toBe(0);

      // The change and its audit entry were both committed.
      const check = await createConnection(mysqlUrl!);
      const [audit] = await check.query(
        'SELECT action FROM audit_entries WHERE customer_id = ? ORDER BY seq',
        [c.body.id],
      );
      await check.end();
      expect((audit as { action: string }[]).map((a) => a.action)).toEqual([
        'customer.created',
        'customer.updated',
      ]);
    },
    60_000,
  );
});
