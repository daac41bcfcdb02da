/**
 * POST /customer/bulk and POST /api/v0/customers/bulk (docs/behaviour.md, "Bulk writes"): per-item
 * results in order with the single routes' rules and messages, email uniqueness across a batch,
 * atomic batches, idempotent replay, races with single writes, the 500-item limit and rate limits
 * that count items. Runs on SQLite and on MariaDB (E2E_DATABASE_URL).
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import type { SqlTransaction } from '../src/database/sql-transaction';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

interface Result {
  index: number;
  status: number;
  etag?: string;
  customer?: Record<string, unknown> & { id: string };
  error?: { statusCode: number; message: string | string[] };
}
interface Answer {
  atomic: boolean;
  succeeded: number;
  failed: number;
  results: Result[];
}

const email = (tag: string) => `${tag}.${randomUUID()}@example.com`;

describe('bulk writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => t.close());

  function staxBulk(m: TestMerchant, body: unknown, headers: Record<string, string> = {}) {
    return http(t)
      .post('/customer/bulk')
      .set(m.bearer)
      .set(headers)
      .send(body as object);
  }

  async function auditActions(m: TestMerchant, id: string): Promise<string[]> {
    const res = await http(t).get(`/customer/${id}/audit-log`).set(m.bearer).expect(200);
    return (res.body as { data: { action: string }[] }).data.map((e) => e.action);
  }

  it('Stax: mixed creates, updates and invalid items answer per item, in order, with the single routes’ messages', async () => {
    const m = await newMerchant(t);
    const existing = await createStaxCustomer(t, m, { company: 'Old Co' });
    const res = await staxBulk(m, {
      items: [
        { firstname: 'Ann', email: email('ann') },
        { address_country: 'US' },
        { id: existing.id, company: 'New Co' },
        { id: randomUUID(), company: 'Nobody' },
        { id: 'not-a-uuid' },
        { nickname: 'x', firstname: 'Bo' },
        'a string',
        { id: existing.id, etag: '"1"', notes: 'stale' },
        { lastname: 'Last' },
      ],
    }).expect(200);
    const body = res.body as Answer;
    expect(body.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(body.results.map((r) => r.status)).toEqual([200, 400, 200, 404, 400, 400, 400, 412, 200]);
    expect(body).toMatchObject({ atomic: false, succeeded: 3, failed: 6 });
    const [ann, country, updated, missing, badId, unknown, notObject, stale] = body.results;
    expect(ann.customer).toMatchObject({ firstname: 'Ann', has_address: false });
    expect(ann.etag).toBe('"1"');
    expect(country.error).toEqual({
      statusCode: 400,
      message: ['address_country must be an ISO 3166-1 alpha-3 code (did you mean USA?)'],
    });
    expect(updated.customer).toMatchObject({ id: existing.id, company: 'New Co', firstname: 'John' });
    expect(updated.etag).toBe('"2"');
    expect(missing.error).toEqual({ statusCode: 404, message: 'Customer not found' });
    expect(badId.error?.message).toEqual(['Customer ID must be a valid UUID']);
    expect(unknown.error?.message).toEqual(['property nickname should not exist']);
    expect(notObject.error?.message).toEqual(['item must be a JSON object']);
    expect(stale.error?.statusCode).toBe(412);

    // The same body on the single route gives the same message.
    const single = await http(t).post('/customer').set(m.bearer).send({ address_country: 'US' }).expect(400);
    expect((single.body as { message: unknown }).message).toEqual(country.error?.message);

    // Each committed item is whole: its change and its audit entries.
    expect(await auditActions(m, ann.customer!.id)).toEqual(['customer.created']);
    expect(await auditActions(m, existing.id)).toEqual(['customer.updated', 'customer.created']);
    const got = await http(t).get(`/customer/${existing.id}`).set(m.bearer).expect(200);
    expect(got.body).toMatchObject({ company: 'New Co', notes: null });
  });

  it('v0: creates answer 201 per item, updates 200, with v0 names and messages', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const res = await http(t)
      .post('/api/v0/customers/bulk')
      .set(m.keyPair)
      .send({
        items: [
          { first_name: 'Zoe', last_name: 'Ng', phone_number: '+1 555 000 1234', email: email('zoe') },
          { first_name: '', last_name: 'X', phone_number: '+1 555 000 1234' },
          { id: c.id, status: 'DEACTIVATED', customer_type: 'Enterprise' },
          { id: c.id, status: 'BOGUS' },
        ],
      })
      .expect(200);
    const body = res.body as Answer;
    expect(body.results.map((r) => r.status)).toEqual([201, 400, 200, 400]);
    expect(body.results[0].customer).toMatchObject({ first_name: 'Zoe', phone_number: '+1 555 000 1234' });
    expect(body.results[1].error?.message).toEqual(['First name cannot be empty']);
    expect(body.results[2].customer).toMatchObject({ id: c.id, status: 'DEACTIVATED' });
    expect(body.results[3].error?.message).toEqual([
      'Status must be one of: ACTIVE, BLACKLISTED, DEACTIVATED',
    ]);
    expect(await auditActions(m, c.id)).toEqual([
      'customer.status_changed',
      'customer.updated',
      'customer.created',
    ]);
  });

  it('several items on one customer each see the one before; status scope and identity rule hold per item', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { company: null });
    await http(t)
      .patch(`/api/v0/customers/${c.id}`)
      .set(m.keyPair)
      .send({ status: 'BLACKLISTED' })
      .expect(200);
    const res = await staxBulk(m, {
      items: [
        { id: c.id, company: 'A' },
        { id: c.id, etag: '"3"', notes: 'after A' },
        { id: c.id, firstname: '', lastname: '', email: '', company: '' },
      ],
    }).expect(200);
    const body = res.body as Answer;
    expect(body.results.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(body.results[1].customer).toMatchObject({ company: 'A', notes: 'after A' });
    expect(body.results[2].error?.message).toEqual([
      'Customer requires at least one of firstname, lastname, email or company',
    ]);
    const v0 = await http(t)
      .post('/api/v0/customers/bulk')
      .set(m.keyPair)
      .send({ items: [{ id: c.id, status: 'ACTIVE' }] })
      .expect(200);
    expect((v0.body as Answer).results[0]).toMatchObject({ status: 403 });
    // Stored as the items left it, with one audit entry per item in item order.
    const now = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(now.body).toMatchObject({ company: 'A', notes: 'after A' });
    const log = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    const entries = log.body.data as { action: string; changes: Record<string, { to: unknown }> }[];
    expect(entries.slice(0, 2).map((e) => Object.keys(e.changes))).toEqual([['notes'], ['company']]);
  });

  it('many customers changed alike get each their own values (one statement for them all)', async () => {
    const m = await newMerchant(t);
    const cs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createStaxCustomer(t, m, { notes: `n${i}` })),
    );
    const res = await staxBulk(m, {
      items: cs.map((c, i) => ({ id: c.id, firstname: `First ${i}`, notes: i % 2 ? null : `kept ${i}` })),
    }).expect(200);
    expect((res.body as Answer).succeeded).toBe(6);
    for (const [i, c] of cs.entries()) {
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body).toMatchObject({ firstname: `First ${i}`, notes: i % 2 ? null : `kept ${i}` });
      expect(got.body.id).toBe(c.id);
    }
  });

  it('an item may take the email an earlier item of the batch gave up', async () => {
    const m = await newMerchant(t);
    const taken = email('taken');
    const c = await createStaxCustomer(t, m, { email: taken });
    const res = await staxBulk(m, {
      items: [
        { id: c.id, email: email('moved') },
        { firstname: 'Heir', email: taken },
      ],
    }).expect(200);
    expect((res.body as Answer).results.map((r) => r.status)).toEqual([200, 200]);
    const list = await http(t)
      .get(`/customer?email=${encodeURIComponent(taken)}`)
      .set(m.bearer)
      .expect(200);
    expect(list.body.data.map((x: { firstname: string }) => x.firstname)).toEqual(['Heir']);
  });

  it('two items taking one email: the first wins, the second is 409; a stored customer’s email too', async () => {
    const m = await newMerchant(t);
    const stored = await createStaxCustomer(t, m);
    const shared = email('shared');
    const res = await staxBulk(m, {
      items: [
        { firstname: 'One', email: shared },
        { firstname: 'Two', email: shared.toUpperCase() },
        { firstname: 'Three', email: stored.email },
        { firstname: 'Four', email: email('four') },
      ],
    }).expect(200);
    const body = res.body as Answer;
    expect(body.results.map((r) => r.status)).toEqual([200, 409, 409, 200]);
    expect(body.results[1].error).toEqual({
      statusCode: 409,
      message: 'A customer with this email already exists',
    });
    const list = await http(t).get('/customer').set(m.bearer).expect(200);
    expect((list.body as { total: number }).total).toBe(3);
  });

  it('atomic: one failing item rolls the whole batch back; the others answer 424', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const stored = await createStaxCustomer(t, m);
    const res = await staxBulk(m, {
      atomic: true,
      items: [
        { firstname: 'Gone', email: email('gone') },
        { id: c.id, company: 'Never' },
        { firstname: 'Clash', email: stored.email },
        { firstname: 'Never tried' },
      ],
    }).expect(200);
    const body = res.body as Answer;
    expect(body).toMatchObject({ atomic: true, succeeded: 0, failed: 4 });
    expect(body.results.map((r) => r.status)).toEqual([424, 424, 409, 424]);
    expect(body.results[0].error?.message).toBe('Not applied: the batch is atomic and item 2 failed');
    const list = await http(t).get('/customer').set(m.bearer).expect(200);
    expect((list.body as { total: number }).total).toBe(2);
    expect(await auditActions(m, c.id)).toEqual(['customer.created']);

    // A validation failure: every invalid item is named, nothing runs.
    const invalid = await staxBulk(m, {
      atomic: true,
      items: [{ firstname: 'Fine' }, { address_country: 'US' }, { nickname: 'x' }],
    }).expect(200);
    expect((invalid.body as Answer).results.map((r) => r.status)).toEqual([424, 400, 400]);

    // All good: all committed.
    const ok = await staxBulk(m, { atomic: true, items: [{ firstname: 'A' }, { id: c.id, company: 'B' }] });
    expect((ok.body as Answer).results.map((r) => r.status)).toEqual([200, 200]);
  });

  it('an idempotency-key replays the whole answer and writes nothing again', async () => {
    const m = await newMerchant(t);
    const key = randomUUID();
    const body = { items: [{ firstname: 'Once', email: email('once') }, { address_country: 'XX' }] };
    const first = await staxBulk(m, body, { 'idempotency-key': key }).expect(200);
    const again = await staxBulk(m, body, { 'idempotency-key': key }).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const list = await http(t).get('/customer').set(m.bearer).expect(200);
    expect((list.body as { total: number }).total).toBe(1);
    await staxBulk(m, { items: [{ firstname: 'Other' }] }, { 'idempotency-key': key }).expect(422);
  });

  it('up to 500 items; 501, none, or items that are not a list are 400 for the batch', async () => {
    const m = await newMerchant(t);
    const items = Array.from({ length: 500 }, (_, i) => ({ firstname: `P${i}`, reference: `R${i}` }));
    const res = await staxBulk(m, { items }).expect(200);
    expect((res.body as Answer).succeeded).toBe(500);
    const over = await staxBulk(m, { items: [...items, { firstname: 'x' }] }).expect(400);
    expect((over.body as { message: string[] }).message).toEqual([
      'items must contain no more than 500 elements',
    ]);
    await staxBulk(m, { items: [] }).expect(400);
    await staxBulk(m, { items: { firstname: 'x' } }).expect(400);
    await staxBulk(m, { items: [{}], atomic: 'yes' }).expect(400);
  });

  it('a batch racing single PATCHes on the same customers loses no field', async () => {
    const m = await newMerchant(t);
    const customers = await Promise.all(Array.from({ length: 10 }, () => createStaxCustomer(t, m)));
    const rounds = 5;
    const work: Promise<unknown>[] = [];
    for (let r = 0; r < rounds; r++) {
      work.push(
        staxBulk(m, { items: customers.map((c) => ({ id: c.id, company: `batch ${r}` })) }).expect(200),
      );
      for (const c of customers)
        work.push(
          http(t)
            .patch(`/api/v0/customers/${c.id}`)
            .set(m.keyPair)
            .send({ last_name: `single ${r}` })
            .expect(200),
        );
    }
    await Promise.all(work);
    for (const c of customers) {
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      const body = got.body as { company: string; lastname: string };
      expect(body.company).toMatch(/^batch \d$/);
      expect(body.lastname).toMatch(/^single \d$/);
      const versions = (await auditActions(m, c.id)).length;
      // Every write (5 batch items, 5 PATCHes) is one version and one audit entry: none was lost.
      expect(versions).toBe(1 + 2 * rounds);
      expect(got.headers.etag).toBe(`"${1 + 2 * rounds}"`);
    }
  });
});

describe('bulk writes and rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '10' });
  });
  afterAll(() => t.close());

  it('each item counts as one request; a batch that does not fit is 429 and writes nothing', async () => {
    const m = await newMerchant(t);
    const ok = await http(t)
      .post('/customer/bulk')
      .set(m.bearer)
      .send({ items: Array.from({ length: 8 }, (_, i) => ({ firstname: `R${i}` })) })
      .expect(200);
    expect(ok.headers['x-ratelimit-remaining']).toBe('2');
    const refused = await http(t)
      .post('/customer/bulk')
      .set(m.bearer)
      .send({ items: Array.from({ length: 3 }, (_, i) => ({ firstname: `S${i}` })) })
      .expect(429);
    expect(refused.headers['retry-after']).toBeDefined();
    const other = await newMerchant(t);
    const list = await http(t).get('/customer').set(other.bearer).expect(200);
    expect((list.body as { total: number }).total).toBe(0);
  });
});

describe('bulk writes: query plans', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  /** The statements a batch sends in its transaction, as run (deferred ones included). */
  async function batchStatements(
    ids: string[],
    merchantId: string,
  ): Promise<{ sql: string; params: unknown[] }[]> {
    const db = t.app.get(DatabaseService);
    const customers = t.app.get(CustomersRepository);
    const seen: { sql: string; params: unknown[] }[] = [];
    await db.transaction(async (tx) => {
      const recording: SqlTransaction = {
        query: <R>(sql: string, params: unknown[] = []) => {
          seen.push({ sql, params });
          return tx.query<R>(sql, params);
        },
        defer: (sql: string, params: unknown[] = []) => {
          seen.push({ sql, params });
        },
        afterCommit: (fn) => tx.afterCommit(fn),
      };
      await customers.lockMany(recording, merchantId, 'id', ids);
      customers.update(
        recording,
        merchantId,
        ids.map((id) => ({ id, values: { notes: 'n', version: 9 } })),
      );
    });
    return seen;
  }

  // SQLite has no statistics: without the dialect's hint it walks the merchant's index over every
  // customer it has (85 ms for 100 ids among 100,000). MariaDB plans by cost and its statistics.
  const sqliteOnly = process.env.E2E_DATABASE_URL ? it.skip : it;

  sqliteOnly('SQLite finds a batch’s customers by primary key, not by walking the merchant’s', async () => {
    const m = await newMerchant(t);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createStaxCustomer(t, m)).id);
    const ds = t.app.get(DataSource);
    const statements = await batchStatements(ids, m.merchantId);
    expect(statements).toHaveLength(2);
    for (const { sql, params } of statements) {
      const plan: { detail: string }[] = await ds.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      expect(plan.map((p) => p.detail)).toEqual([
        'SEARCH customers USING INDEX sqlite_autoindex_customers_1 (id=?)',
      ]);
    }
  });
});
