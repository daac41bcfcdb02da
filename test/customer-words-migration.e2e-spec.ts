/**
 * The migration that makes the keyword word table (1733200000000) fills it from the customers already
 * there, in chunks of the primary key's order: run again here over customers inserted without words
 * (more than one chunk, two merchants), it gives every customer exactly its words. On both databases.
 */
import { randomUUID } from 'node:crypto';
import { wordsOf } from '../src/customers/customer-words';
import type { Customer } from '../src/customers/customer.entity';
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import { CustomerWords1733200000000 } from '../src/database/migrations/1733200000000-customer-words';
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
            created_at: new Date(),
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
      const migration = new CustomerWords1733200000000();
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }

    const stored = await db.query<{ merchant_id: string; word: string; customer_id: string }[]>(
      'SELECT merchant_id, word, customer_id FROM customer_words WHERE merchant_id IN (?, ?)',
      merchants,
    );
    const key = (m: string, w: string, c: string) => `${m} ${w} ${c}`;
    const expected = made.flatMap((c) => [...wordsOf(c)].map((w) => key(c.merchant_id, w, c.id)));
    expect(stored.map((r) => key(r.merchant_id, r.word, r.customer_id)).sort()).toEqual(expected.sort());
    expect(expected).toContain(key(merchants[0], 'zoë', made[0].id));
    expect(expected.filter((e) => e.endsWith(made[0].id))).toContain(
      key(merchants[0], '14075550000', made[0].id),
    );
  });
});
