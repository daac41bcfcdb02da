import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { AuditEntry } from '../src/audit/audit-entry.entity';
import { Customer } from '../src/customers/customer.entity';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { storedCustomer } from './support/stax';

/**
 * 50-way races on one running service (test/concurrency.e2e-spec.ts has the 20-way ones). On
 * MariaDB they race for real over the connection pool; on SQLite they queue on its one writer.
 * Beyond "nothing is lost", these check the audit log tells the same story as the data: every
 * field's from/to values chain without a gap, in commit order.
 */
const N = 50;

/** Ten string fields, cycled; the first four also exist on v0 under another name. */
const FIELDS = [
  'firstname',
  'lastname',
  'email',
  'phone',
  'company',
  'address_1',
  'address_city',
  'address_state',
  'address_zip',
  'reference',
] as const;
type Field = (typeof FIELDS)[number];
const V0_NAME: Partial<Record<Field, string>> = {
  firstname: 'first_name',
  lastname: 'last_name',
  email: 'email',
  phone: 'phone_number',
};

/** A value unique to request i (and valid for its field). */
function valueFor(field: Field, i: number, run: string): string {
  switch (field) {
    case 'email':
      return `race.${i}.${run}@example.com`;
    case 'phone':
      return `+1 555 ${String(1_000_000 + i)}`;
    case 'address_zip':
      return `Z${i}-${run.slice(0, 8)}`;
    default:
      return `${field} #${i} ${run.slice(0, 8)}`;
  }
}

describe('races: 50 concurrent requests', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every audit entry of a customer, oldest first, straight from the table. */
  const auditRows = (customerId: string) =>
    t.app
      .get(DataSource)
      .getRepository(AuditEntry)
      .find({ where: { customer_id: customerId }, order: { seq: 'ASC' } });

  it('50 partial updates of one customer (PUT and PATCH mixed) all land, and the audit from/to values chain', async () => {
    const m = await newMerchant(t);
    const run = randomUUID();
    const initial: Record<Field, string> = {
      firstname: 'Initial first',
      lastname: 'Initial last',
      email: `initial.${run}@example.com`,
      phone: '+1 555 000 0000',
      company: 'Initial Co',
      address_1: '1 Initial St',
      address_city: 'Initial City',
      address_state: 'IS',
      address_zip: '00000',
      reference: 'INIT-0',
    };
    const c = await createStaxCustomer(t, m, initial);

    const sent: { field: Field; value: string }[] = [];
    const requests = Array.from({ length: N }, (_, i) => {
      const field = FIELDS[i % FIELDS.length];
      const value = valueFor(field, i, run);
      sent.push({ field, value });
      const v0 = V0_NAME[field];
      // Every other request that can go through v0 does.
      if (v0 && i % 2 === 1) {
        return http(t)
          .patch(`/api/v0/customers/${c.id}`)
          .set(m.keyPair)
          .send({ [v0]: value });
      }
      return http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ [field]: value });
    });
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));

    const final = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(final.headers['etag']).toBe(`"${N + 1}"`);
    // Each response saw a version of its own: the 50 writes were serialized, none merged into another.
    expect(new Set(responses.map((r) => r.headers['etag'])).size).toBe(N);

    const rows = await auditRows(c.id);
    expect(rows.map((r) => r.action)).toEqual(['customer.created', ...Array(N).fill('customer.updated')]);
    const updates = rows.slice(1);
    for (const u of updates) expect(Object.keys(u.changes)).toHaveLength(1);

    for (const field of FIELDS) {
      const chain = updates.filter((u) => field in u.changes).map((u) => u.changes[field]);
      const mine = sent.filter((s) => s.field === field).map((s) => s.value);
      expect(chain).toHaveLength(mine.length);
      // Oldest to newest: each entry starts where the previous one ended.
      expect(chain[0].from).toBe(initial[field]);
      for (let k = 1; k < chain.length; k++) expect(chain[k].from).toBe(chain[k - 1].to);
      expect(chain[chain.length - 1].to).toBe(final.body[field]);
      // And the values written are exactly the values sent, each once.
      expect(chain.map((ch) => ch.to).sort()).toEqual([...mine].sort());
    }
    // The API's log (newest first) is the same story as the table.
    const log = await http(t).get(`/customer/${c.id}/audit-log?per_page=200`).set(m.bearer).expect(200);
    expect(log.body.total).toBe(N + 1);
    expect(log.body.data.map((e: { id: string }) => e.id)).toEqual(rows.map((r) => r.id).reverse());
  });

  it('50 concurrent PATCHes with one idempotency key make exactly one write and one audit entry', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = `race-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        http(t)
          .patch(`/api/v0/customers/${c.id}`)
          .set(m.keyPair)
          .set('idempotency-key', key)
          .send({ last_name: 'Once' }),
      ),
    );
    expectOneRunAndReplays(responses);

    const rows = await auditRows(c.id);
    expect(rows.map((r) => r.action)).toEqual(['customer.created', 'customer.updated']);
    expect(rows[1].idempotency_key).toBe(key);
    expect(await storedCustomer(t, c.id)).toMatchObject({ lastname: 'Once', version: 2 });
  });

  it('50 concurrent POSTs with one idempotency key create exactly one customer', async () => {
    const m = await newMerchant(t);
    const key = `race-${randomUUID()}`;
    const email = `once.${randomUUID()}@example.com`;
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        http(t)
          .post('/customer')
          .set(m.bearer)
          .set('idempotency-key', key)
          .send({ firstname: 'Once', email }),
      ),
    );
    expectOneRunAndReplays(responses);
    const ids = new Set(responses.filter((r) => r.status === 200).map((r) => r.body.id as string));
    expect(ids.size).toBe(1);

    const ds = t.app.get(DataSource);
    const customers = await ds.getRepository(Customer).find({ where: { merchant_id: m.merchantId } });
    expect(customers.map((x) => x.id)).toEqual([...ids]);
    const audit = await ds.getRepository(AuditEntry).find({ where: { merchant_id: m.merchantId } });
    expect(audit.map((e) => [e.action, e.idempotency_key])).toEqual([['customer.created', key]]);
  });

  it('50 concurrent claims of one email on 50 customers: exactly one winner, 49 conflicts', async () => {
    const m = await newMerchant(t);
    const customers = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        createStaxCustomer(t, m, { email: `own${i}.${randomUUID()}@x.com` }),
      ),
    );
    const email = `wanted.${randomUUID()}@example.com`;
    const responses = await Promise.all(
      customers.map((c, i) =>
        i % 2 === 0
          ? http(t).put(`/customer/${c.id}`).set(m.bearer).send({ email })
          : http(t)
              .patch(`/api/v0/customers/${c.id}`)
              .set(m.keyPair)
              .send({ email: i % 4 === 1 ? email.toUpperCase() : email }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(N - 1);
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    }
    const winner = customers[statuses.indexOf(200)];

    // In the table: one holder, and only the winner changed (one audit entry, version 2).
    const ds = t.app.get(DataSource);
    const rows = await ds.getRepository(Customer).find({ where: { merchant_id: m.merchantId } });
    const holders = rows.filter((r) => r.email?.toLowerCase() === email);
    expect(holders.map((h) => h.id)).toEqual([winner.id]);
    for (const r of rows) expect(r.version).toBe(r.id === winner.id ? 2 : 1);
    const updates = await ds
      .getRepository(AuditEntry)
      .find({ where: { merchant_id: m.merchantId, action: 'customer.updated' } });
    expect(updates.map((u) => u.customer_id)).toEqual([winner.id]);
  });

  it('a restore racing 49 creates of its email on both surfaces: exactly one live holder', async () => {
    const m = await newMerchant(t);
    const email = `contested.${randomUUID()}@example.com`;
    const gone = await createStaxCustomer(t, m, { email });
    await http(t).delete(`/customer/${gone.id}`).set(m.bearer).expect(200);
    const responses = await Promise.all([
      ...Array.from({ length: 24 }, (_, i) =>
        http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: `C${i}`, email: i % 2 ? email.toUpperCase() : email }),
      ),
      http(t).put(`/customer/${gone.id}/restore`).set(m.bearer),
      ...Array.from({ length: 25 }, (_, i) =>
        http(t)
          .post('/api/v0/customers')
          .set(m.keyPair)
          .send({ first_name: `V${i}`, last_name: 'X', phone_number: '+1 555 555 0100', email }),
      ),
    ]);
    const ok = responses.filter((r) => r.status < 300);
    expect(ok).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(N - 1);

    const ds = t.app.get(DataSource);
    const live = (await ds.getRepository(Customer).find({ where: { merchant_id: m.merchantId } })).filter(
      (c) => c.deleted_at === null,
    );
    expect(live).toHaveLength(1);
    expect(live[0].email?.toLowerCase()).toBe(email);
    expect(live[0].id).toBe(ok[0].body.id);
    // One audit entry per committed change: the first create, its delete, and the one winner.
    const audit = await ds.getRepository(AuditEntry).find({ where: { merchant_id: m.merchantId } });
    expect(audit).toHaveLength(3);
  });

  it('50 mixed updates racing a delete: no update entry is ever written after the delete', async () => {
    const m = await newMerchant(t);
    // A few rounds: where the delete lands in the queue differs from round to round.
    for (let round = 0; round < 3; round++) {
      const c = await createStaxCustomer(t, m);
      const deleteAt = [10, 25, 40][round];
      const calls: Promise<Response>[] = [];
      for (let i = 0; i < N; i++) {
        if (i === deleteAt) {
          calls.push(
            round === 1
              ? http(t).delete(`/customer/${c.id}`).set(m.keyPair)
              : http(t).delete(`/customer/${c.id}`).set(m.bearer),
          );
          continue;
        }
        calls.push(
          i % 2 === 0
            ? http(t)
                .put(`/customer/${c.id}`)
                .set(m.bearer)
                .send({ notes: `n${i}`, reference: `r${i}` })
            : http(t)
                .patch(`/api/v0/customers/${c.id}`)
                .set(m.keyPair)
                .send({ first_name: `F${i}` }),
        );
      }
      const responses = await Promise.all(calls);
      expect(responses[deleteAt].status).toBe(200);
      const updateResponses = responses.filter((_, i) => i !== deleteAt);
      for (const r of updateResponses) expect([200, 404]).toContain(r.status);
      const succeeded = updateResponses.filter((r) => r.status === 200).length;

      const rows = await auditRows(c.id);
      const actions = rows.map((r) => r.action);
      expect(actions[0]).toBe('customer.created');
      expect(actions[actions.length - 1]).toBe('customer.deleted');
      expect(actions.filter((a) => a === 'customer.deleted')).toHaveLength(1);
      expect(actions.filter((a) => a === 'customer.updated')).toHaveLength(succeeded);
      // The row agrees: every committed change bumped the version once, and it is deleted.
      const stored = await storedCustomer(t, c.id);
      expect(stored.deleted_at).not.toBeNull();
      expect(stored.version).toBe(1 + succeeded + 1);
      // Every update that answered 200 answered with a live customer.
      for (const r of updateResponses.filter((x) => x.status === 200)) {
        expect(r.body.deleted_at ?? null).toBeNull();
      }
    }
  });
});

/** One fresh run, the rest replays of it or "still in flight" (409 + Retry-After). */
function expectOneRunAndReplays(responses: Response[]): void {
  const ok = responses.filter((r) => r.status < 300);
  for (const r of responses) {
    expect([200, 201, 409]).toContain(r.status);
    if (r.status === 409) expect(r.headers['retry-after']).toBeDefined();
  }
  expect(ok.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
  for (const r of ok) expect(r.body).toEqual(ok[0].body);
}
