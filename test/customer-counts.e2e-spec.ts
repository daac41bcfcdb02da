/**
 * The unfiltered list's exact total comes from a per-merchant count (customer_counts) kept in each
 * write's transaction (issue 12). Whatever the mix of concurrent writes, refused ones and rolled
 * back batches included, it equals COUNT(*) of the merchant's rows, live and deleted, and one
 * merchant's writes never move another's. On both databases.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

describe('customer counts', () => {
  let t: TestApp;
  let db: DatabaseService;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
    db = t.app.get(DatabaseService);
  });
  afterAll(() => t.close());

  const email = (tag: string) => `${tag}.${randomUUID()}@example.com`;

  async function counted(merchantId: string): Promise<{ live: number; deleted: number }> {
    const rows = await db.query<{ live: number | string; deleted: number | string }[]>(
      `SELECT SUM(CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END) AS live,
              SUM(CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END) AS deleted
         FROM customers WHERE merchant_id = ?`,
      [merchantId],
    );
    return { live: Number(rows[0].live ?? 0), deleted: Number(rows[0].deleted ?? 0) };
  }

  async function totals(m: TestMerchant): Promise<{ live: number; deleted: number; all: number }> {
    const total = async (trashed: string) => {
      const res = await http(t).get(`/customer?per_page=1&trashed=${trashed}`).set(m.bearer).expect(200);
      expect(res.body.total_relation).toBe('eq');
      return res.body.total as number;
    };
    return { live: await total('without'), deleted: await total('only'), all: await total('with') };
  }

  async function expectExact(m: TestMerchant): Promise<void> {
    const rows = await counted(m.merchantId);
    expect(await totals(m)).toEqual({ ...rows, all: rows.live + rows.deleted });
  }

  it('equals COUNT(*) after concurrent creates, deletes, restores, batches and refused writes', async () => {
    const m = await newMerchant(t);
    const other = await newMerchant(t);
    await createStaxCustomer(t, other, { firstname: 'Elsewhere' });
    const before = await totals(other);

    const taken = email('taken');
    const first = await createStaxCustomer(t, m, { email: taken });
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createStaxCustomer(t, m, { firstname: `C${i}` })),
    );
    await Promise.all([
      // Creates, alone and in batches, one with an item the database refuses (a taken email).
      ...Array.from({ length: 6 }, (_, i) => createStaxCustomer(t, m, { firstname: `N${i}` })),
      http(t)
        .post('/customer/bulk')
        .set(m.bearer)
        .send({ items: [{ firstname: 'B1' }, { email: taken }, { firstname: 'B2' }] })
        .expect(200),
      http(t)
        .post('/customer/bulk')
        .set(m.bearer)
        .send({ atomic: true, items: [{ firstname: 'Rolled' }, { email: taken }] }),
      http(t).post('/customer').set(m.bearer).send({ email: taken }).expect(409),
      // Deletes (one twice: the second is a 404 and must not count), and a restore of a deleted one.
      ...made.slice(0, 6).map((c) => http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200)),
      http(t)
        .delete(`/customer/${made[6].id}`)
        .set(m.bearer)
        .then(() => http(t).delete(`/customer/${made[6].id}`).set(m.bearer).expect(404))
        .then(() => http(t).put(`/customer/${made[6].id}/restore`).set(m.bearer).expect(200))
        .then(() => http(t).put(`/customer/${made[6].id}/restore`).set(m.bearer).expect(200)),
      http(t).delete(`/customer/${first.id}`).set(m.bearer).expect(200),
    ]);
    await expectExact(m);
    const rows = await counted(m.merchantId);
    // 13 + 6 single creates + 2 of the first batch; 7 of them deleted.
    expect(rows).toEqual({ live: 13 + 6 + 2 - 7, deleted: 7 });
    expect(await totals(other)).toEqual(before);
  });

  it('counts a v0 batch and v0 creates the same way', async () => {
    const m = await newMerchant(t);
    await http(t)
      .post('/api/v0/customers/bulk')
      .set(m.keyPair)
      .send({
        items: ['a', 'b'].map((n) => ({
          first_name: n,
          last_name: 'X',
          phone_number: '+1 555 000 1234',
          email: email(n),
        })),
      })
      .expect(200);
    await http(t)
      .post('/api/v0/customers')
      .set(m.keyPair)
      .send({ first_name: 'c', last_name: 'X', phone_number: '+1 555 000 1234', email: email('c') })
      .expect(201);
    await expectExact(m);
    expect((await counted(m.merchantId)).live).toBe(3);
  });

  it('a merchant without customers has a total of 0', async () => {
    const m = await newMerchant(t);
    expect(await totals(m)).toEqual({ live: 0, deleted: 0, all: 0 });
  });
});
