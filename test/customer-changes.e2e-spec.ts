/**
 * The customer write path's before-commit steps (CustomerChanges): every real change runs them
 * inside its transaction with the change and its audit entries; a step that fails rolls the
 * change back; a no-op write runs none.
 */
import { CustomerChange, CustomerChanges } from '../src/customers/customer-changes';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';

describe('before-commit steps of customer changes', () => {
  let t: TestApp;
  const seen: CustomerChange[] = [];
  let failFor: string | undefined;
  /** How many changes each run of the step received. */
  const batches: number[] = [];

  beforeAll(async () => {
    t = await startApp();
    t.app.get(CustomerChanges).beforeCommit(async (tx, changes) => {
      batches.push(changes.length);
      for (const change of changes) {
        // The step runs inside the change's transaction: it reads the customer as changed.
        const rows = await tx.query<{ company: string | null }[]>(
          'SELECT company FROM customers WHERE id = ?',
          [change.customer.id],
        );
        if (change.customer.company === failFor) throw new Error('step failed');
        seen.push({ ...change, customer: { ...change.customer, company: rows[0]?.company ?? null } });
      }
    });
  });
  afterAll(() => t.close());

  it('runs for every change with the customer and its audit entries, seeing the change', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    seen.length = 0;
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Seen' }).expect(200);
    await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(seen.map((s) => s.audit.map((a) => a.action))).toEqual([
      ['customer.updated'],
      ['customer.deleted'],
    ]);
    expect(seen[0].customer.company).toBe('Seen');
    expect(seen[0].ctx.principal.merchantId).toBe(m.merchantId);
  });

  it('runs once for a bulk batch, with every change of it in item order', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    seen.length = 0;
    batches.length = 0;
    const res = await http(t)
      .post('/customer/bulk')
      .set(m.bearer)
      .send({ items: [{ id: c.id, company: 'First' }, { firstname: 'New' }, { id: c.id, company: 'Again' }] })
      .expect(200);
    expect(res.body.succeeded).toBe(3);
    expect(batches).toEqual([3]);
    expect(seen.map((s) => [s.customer.id === c.id, s.audit[0].action])).toEqual([
      [true, 'customer.updated'],
      [false, 'customer.created'],
      [true, 'customer.updated'],
    ]);
  });

  it('runs none for a write that changes nothing', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Same' }).expect(200);
    seen.length = 0;
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Same' }).expect(200);
    expect(seen).toEqual([]);
  });

  it('a failing step rolls the change and its audit entries back', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    failFor = 'Doomed';
    try {
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ company: 'Doomed' }).expect(500);
    } finally {
      failFor = undefined;
    }
    const now = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
    expect(now.body.company).not.toBe('Doomed');
    const log = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    expect(log.body.total).toBe(1);
  });
});
