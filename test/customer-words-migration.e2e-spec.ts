/**
 * The migrations that make the keyword word table (1733200000000, and 1733300000000 which makes it
 * again with each customer's created_at and deleted flag) fill it from the customers already there,
 * in chunks of the primary key's order: run again here over customers inserted without words (more
 * than one chunk, two merchants, some soft-deleted), they give every customer exactly its words,
 * and the latest one its created_at and deleted state beside each. On both databases.
 */
import { randomUUID } from 'node:crypto';
import { wordsOf } from '../src/customers/customer-words';
import type { Customer } from '../src/customers/customer.entity';
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import { CustomerWords1733200000000 } from '../src/database/migrations/1733200000000-customer-words';
import { CustomerWordsOrder1733300000000 } from '../src/database/migrations/1733300000000-customer-words-order';
import { newMerchant, startApp, TestApp } from './support/app';

/** More than the backfill's read chunk (2,000 customers). */
const PER_MERCHANT = 1100;

describe('customer_words backfill', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ WEBHOOK_WORKER: 'false' });
  });
  afterAll(() => t.close());

  it('gives every existing customer its words, and nothing else', async () => {
    const db = t.app.get(DatabaseService);
    const repo = t.app.get(CustomersRepository);
    const merchants = [(await newMerchant(t)).merchantId, (await newMerchant(t)).merchantId];
    const made: Customer[] = [];
    await db.transaction(async (tx) => {
      for (const merchant of merchants) {
        for (let i = 0; i < PER_MERCHANT; i++) {
          const email = `Ann.Lee+${i}@Example.com`;
          const c = {
            id: randomUUID(),
            merchant_id: merchant,
            firstname: i % 2 ? 'Ann' : 'Zoë',
            lastname: `Lee-${i % 13}`,
            company: i % 3 ? null : 'Smith & Co',
            email,
            email_key: `${email.toLowerCase()}.${merchant}`,
            phone: i % 4 ? null : `+1 (407) 555-${String(i).padStart(4, '0')}`,
            notes: i % 5 ? null : 'met at\tthe fair',
            reference: `CRM_${i}`,
            status: 'ACTIVE',
            version: 1,
            last_spent: 0,
            allow_invoice_credit_card_payments: true,
            customer_type: 'Individual',
            created_at: new Date(Date.UTC(2026, 0, 1) + i * 1001),
            updated_at: new Date(),
            deleted_at: i % 7 ? null : new Date(),
          } as unknown as Customer;
          made.push(c);
          repo.insert(tx, [c]);
        }
      }
      return Promise.resolve();
    });

    const runner = db.dataSource.createQueryRunner();
    try {
      // Back to the first table, filled by its own migration, then made again by the latest.
      const latest = new CustomerWordsOrder1733300000000();
      await latest.down(runner);
      const first = new CustomerWords1733200000000();
      await first.down(runner);
      await first.up(runner);
      await latest.up(runner);
    } finally {
      await runner.release();
    }

    const stored = await db.query<
      { merchant_id: string; word: string; customer_id: string; created_at: unknown; deleted: unknown }[]
    >(
      'SELECT merchant_id, word, customer_id, created_at, deleted FROM customer_words WHERE merchant_id IN (?, ?)',
      merchants,
    );
    const key = (m: string, w: string, c: string) => `${m} ${w} ${c}`;
    const expected = made.flatMap((c) => [...wordsOf(c)].map((w) => key(c.merchant_id, w, c.id)));
    expect(stored.map((r) => key(r.merchant_id, r.word, r.customer_id)).sort()).toEqual(expected.sort());
    // Each entry has its customer's created_at (to the millisecond) and deleted state.
    const byId = new Map(made.map((c) => [c.id, c]));
    for (const r of stored) {
      const c = byId.get(r.customer_id)!;
      const at = r.created_at instanceof Date ? r.created_at : new Date(`${String(r.created_at)}Z`);
      expect([r.customer_id, at.getTime(), Number(r.deleted)]).toEqual([
        c.id,
        c.created_at.getTime(),
        c.deleted_at ? 1 : 0,
      ]);
    }
    expect(expected).toContain(key(merchants[0], 'zoë', made[0].id));
    expect(expected.filter((e) => e.endsWith(made[0].id))).toContain(
      key(merchants[0], '14075550000', made[0].id),
    );
  });
});
