import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuthService } from '../src/auth/auth.service';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ServiceProcess, startServiceProcess } from './support/service-process';

/**
 * Two service processes on different ports, one MariaDB database and one Redis: the promises
 * of idempotency and concurrency (README) and the rate limit hold across them. Runs in the MariaDB pass of the suite.
 */
const mysqlUrl = process.env.E2E_DATABASE_URL?.startsWith('mysql') ? process.env.E2E_DATABASE_URL : undefined;
const redisUrl = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 30;

(mysqlUrl ? describe : describe.skip)('several instances', () => {
  let a: ServiceProcess;
  let b: ServiceProcess;
  let ds: DataSource;
  let auth: AuthService;

  beforeAll(async () => {
    const env = { DATABASE_URL: mysqlUrl!, REDIS_URL: redisUrl, RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    ds = new DataSource(dataSourceOptions(mysqlUrl!));
    await ds.initialize();
    auth = AuthService.over(ds);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await ds?.destroy();
  });

  const merchant = async () => {
    const k = await auth.createMerchant('Multi');
    return { Authorization: `Bearer ${k.client_secret}` };
  };
  const either = (i: number) => (i % 2 === 0 ? a.url : b.url);

  it('one idempotency key sent to both instances at once makes one write', async () => {
    const h = await merchant();
    const c = await request(a.url).post('/customer').set(h).send({ firstname: 'Idem' }).expect(200);
    const key = randomUUID();
    const res = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(either(i))
          .put(`/customer/${c.body.id}`)
          .set(h)
          .set('idempotency-key', key)
          .send({ company: 'Once' }),
      ),
    );
    for (const r of res) expect([200, 409]).toContain(r.status);
    expect(res.filter((r) => r.status === 200 && !r.headers['idempotent-replayed'])).toHaveLength(1);
    const log = await request(b.url).get(`/customer/${c.body.id}/audit-log`).set(h).expect(200);
    expect(log.body.total).toBe(2);
  });

  it('one email claimed through both instances at once has one winner', async () => {
    const h = await merchant();
    const ids = await Promise.all(
      Array.from(
        { length: 10 },
        async (_, i) =>
          (
            await request(either(i))
              .post('/customer')
              .set(h)
              .send({ firstname: `E${i}` })
          ).body.id as string,
      ),
    );
    const email = `shared.${randomUUID()}@example.com`;
    const res = await Promise.all(
      ids.map((id, i) => request(either(i)).put(`/customer/${id}`).set(h).send({ email })),
    );
    expect(res.filter((r) => r.status === 200)).toHaveLength(1);
    expect(res.filter((r) => r.status === 409)).toHaveLength(9);
  });

  it('partial updates of one customer through both instances all survive', async () => {
    const h = await merchant();
    const c = await request(a.url).post('/customer').set(h).send({ firstname: 'Lost?' }).expect(200);
    const fields: Record<string, string> = {
      lastname: 'L',
      company: 'C',
      address_1: 'A1',
      address_2: 'A2',
      address_city: 'City',
      address_state: 'ST',
      address_zip: '12345',
      address_country: 'FRA',
      notes: 'N',
      reference: 'R',
    };
    const res = await Promise.all(
      Object.entries(fields).map(([k, v], i) =>
        request(either(i))
          .put(`/customer/${c.body.id}`)
          .set(h)
          .send({ [k]: v }),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(Array(10).fill(200));
    const final = await request(b.url).get(`/customer/${c.body.id}`).set(h).expect(200);
    expect(final.body).toMatchObject({ firstname: 'Lost?', ...fields });
    expect(final.headers['etag']).toBe('"11"');
  });

  it('the rate limit of one key is shared by both instances (through Redis)', async () => {
    const h = await merchant();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 6; i++)
      statuses.push((await request(either(i)).get('/customer').set(h)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });
});
