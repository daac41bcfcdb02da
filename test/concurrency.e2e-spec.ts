import { randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';

/**
 * Real concurrent HTTP requests against one running service. On MariaDB they race for real
 * (a pool of connections, row locks, the unique index); on SQLite they queue on its one writer.
 */
describe('concurrency', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('20 parallel requests with one idempotency key make one write and one audit entry', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .set('idempotency-key', key)
          .send({ company: 'Once Inc' }),
      ),
    );
    // Each is either the first run, a replay of it, or "still in flight" (409 + Retry-After).
    for (const r of responses) {
      expect([200, 409]).toContain(r.status);
      if (r.status === 409) expect(r.headers['retry-after']).toBeDefined();
    }
    const fresh = responses.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);

    const log = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    expect(log.body.data.map((e: { action: string }) => e.action)).toEqual([
      'customer.updated',
      'customer.created',
    ]);
    expect(log.body.data[0].idempotency_key).toBe(key);
    const now = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(now.headers['etag']).toBe('"2"');
  });

  it('20 parallel requests setting one email on 20 customers: one success, nineteen 409s', async () => {
    const m = await newMerchant(t);
    const customers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createStaxCustomer(t, m, { email: `c${i}.${randomUUID()}@example.com` }),
      ),
    );
    const email = `wanted.${randomUUID()}@example.com`;
    const responses = await Promise.all(
      customers.map((c, i) =>
        i % 2 === 0
          ? http(t).put(`/customer/${c.id}`).set(m.bearer).send({ email })
          : http(t).patch(`/api/v0/customers/${c.id}`).set(m.keyPair).send({ email: email.toUpperCase() }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const holders = await http(t)
      .get(`/customer?email=${encodeURIComponent(email)}`)
      .set(m.bearer)
      .expect(200);
    expect(holders.body.total).toBe(1);
  });

  it('20 parallel partial updates of different fields of one customer all survive', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { firstname: 'Start' });
    const stax: Record<string, unknown> = {
      firstname: 'F',
      lastname: 'L',
      company: 'C',
      phone: '+1 555 555 0100',
      address_1: 'A1',
      address_2: 'A2',
      address_city: 'City',
      address_state: 'ST',
      address_zip: '12345',
      address_country: 'CAN',
      notes: 'N',
      reference: 'R',
      cc_emails: ['cc@example.com'],
      cc_sms: ['15555550100'],
      options: { tier: 'gold' },
      allow_invoice_credit_card_payments: false,
      email: `new.${randomUUID()}@example.com`,
    };
    const v0: Record<string, unknown> = { customer_type: 'Enterprise', status: 'DEACTIVATED' };
    const requests = [
      ...Object.entries(stax).map(([k, v]) =>
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ [k]: v }),
      ),
      ...Object.entries(v0).map(([k, v]) =>
        http(t)
          .patch(`/api/v0/customers/${c.id}`)
          .set(m.keyPair)
          .send({ [k]: v }),
      ),
      http(t).put(`/customer/${c.id}`).set(m.bearer).send({ reference: 'R' }),
    ];
    expect(requests).toHaveLength(20);
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));

    const final = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    for (const [k, v] of Object.entries(stax)) expect(final.body[k]).toEqual(v);
    const finalV0 = await http(t).get(`/api/v0/customers/${c.id}`).set(m.keyPair).expect(200);
    expect(finalV0.body).toMatchObject(v0);
    // 19 distinct changes (the repeated reference is a no-op for whichever comes second).
    expect(final.headers['etag']).toBe('"20"');
    const log = await http(t).get(`/customer/${c.id}/audit-log?per_page=100`).set(m.bearer).expect(200);
    const updates = log.body.data.filter((e: { action: string }) => e.action === 'customer.updated');
    expect(updates).toHaveLength(19);
  });

  it('with one If-Match, exactly one of 10 parallel updates wins; the rest are 412', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .set('If-Match', '"1"')
          .send({ notes: `writer ${i}` }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(responses.filter((r) => r.status === 412)).toHaveLength(9);
    const final = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(final.body.notes).toBe(ok[0].body.notes);
  });

  it('delete racing updates never leaves an update on a deleted customer', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const responses = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) =>
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ notes: `n${i}` }),
      ),
      http(t).delete(`/customer/${c.id}`).set(m.bearer),
      ...Array.from({ length: 5 }, (_, i) =>
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ reference: `r${i}` }),
      ),
    ]);
    for (const r of responses) expect([200, 404]).toContain(r.status);
    const log = await http(t).get(`/customer/${c.id}/audit-log?per_page=100`).set(m.bearer).expect(200);
    const actions: string[] = log.body.data.map((e: { action: string }) => e.action);
    // Newest first: the delete must be the newest entry; nothing was written after it.
    expect(actions[0]).toBe('customer.deleted');
    expect(actions.filter((a) => a === 'customer.deleted')).toHaveLength(1);
    const succeededUpdates = responses.filter((r, i) => i !== 5 && r.status === 200).length;
    expect(actions.filter((a) => a === 'customer.updated')).toHaveLength(succeededUpdates);
  });
});
