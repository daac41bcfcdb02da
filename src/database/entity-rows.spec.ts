import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { Customer } from '../customers/customer.entity';
import { dataSourceOptions } from './data-source-options';
import { EntityRows } from './entity-rows';

/** Plain SQL through EntityRows must read and write exactly what TypeORM's own builders do. */
describe('EntityRows (SQLite)', () => {
  let ds: DataSource;
  let customers: EntityRows<Customer>;

  beforeAll(async () => {
    ds = new DataSource({ ...dataSourceOptions('sqlite::memory:'), migrationsRun: true });
    await ds.initialize();
    customers = new EntityRows(ds, Customer);
  });

  afterAll(async () => {
    await ds.destroy();
  });

  function customer(): Customer {
    const now = new Date('2024-03-22T14:15:30.123Z');
    return {
      id: randomUUID(),
      merchant_id: randomUUID(),
      firstname: 'Ann',
      lastname: null,
      company: null,
      email: 'ann@example.com',
      email_key: 'ann@example.com',
      cc_emails: ['a@example.com'],
      cc_sms: null,
      phone: null,
      address_1: null,
      address_2: null,
      address_city: null,
      address_state: null,
      address_zip: null,
      address_country: 'USA',
      notes: null,
      reference: null,
      options: { tier: 'gold', n: 1 },
      allow_invoice_credit_card_payments: false,
      customer_type: 'Startup',
      status: 'ACTIVE',
      last_spent: 12.5,
      last_purchase_date: null,
      version: 1,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
  }

  it('hydrates a row as TypeORM does', async () => {
    const c = customer();
    await ds.manager.insert(Customer, c as QueryDeepPartialEntity<Customer>);
    const [row] = await ds.query<Record<string, unknown>[]>(
      `SELECT ${customers.selectList} FROM ${customers.table} WHERE id = ?`,
      [c.id],
    );
    const hydrated = customers.hydrate(row);
    expect(hydrated).toEqual(await ds.manager.findOneByOrFail(Customer, { id: c.id }));
    expect(hydrated).toEqual(c);
    expect(hydrated).toBeInstanceOf(Customer);
  });

  it('writes an update that TypeORM reads back as given', async () => {
    const c = customer();
    await ds.manager.insert(Customer, c as QueryDeepPartialEntity<Customer>);
    const set = customers.assignments({
      firstname: null,
      options: null,
      cc_sms: ['15551234567'],
      allow_invoice_credit_card_payments: true,
      deleted_at: new Date('2025-01-02T03:04:05.678Z'),
      version: 2,
    });
    await ds.query(`UPDATE ${customers.table} SET ${set.sql} WHERE ${customers.column('id')} = ?`, [
      ...set.params,
      c.id,
    ]);
    expect(await ds.manager.findOneByOrFail(Customer, { id: c.id })).toEqual({
      ...c,
      firstname: null,
      options: null,
      cc_sms: ['15551234567'],
      allow_invoice_credit_card_payments: true,
      deleted_at: new Date('2025-01-02T03:04:05.678Z'),
      version: 2,
    });
  });

  it('inserts several rows in one statement', async () => {
    const audit = new EntityRows(ds, AuditEntry);
    const customerId = randomUUID();
    const at = new Date('2024-05-06T07:08:09.010Z');
    const entries = ['customer.updated', 'customer.status_changed'].map((action) => ({
      id: randomUUID(),
      merchant_id: randomUUID(),
      customer_id: customerId,
      action: action as AuditEntry['action'],
      changes: { status: { from: 'ACTIVE', to: 'BLACKLISTED' } },
      actor: 'ck_test',
      request_id: 'req-1',
      idempotency_key: null,
      created_at: at,
    }));
    const insert = audit.insert(Object.keys(entries[0]), entries);
    await ds.query(insert.sql, insert.params);
    const stored = await ds.manager.find(AuditEntry, {
      where: { customer_id: customerId },
      order: { seq: 'ASC' },
    });
    expect(stored.map(({ seq: _seq, ...e }) => e)).toEqual(entries);
  });

  it('refuses a property that is not a column', () => {
    expect(() => customers.assignments({ nope: 1 } as unknown as Partial<Customer>)).toThrow(
      'Customer has no column nope',
    );
  });
});
