import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { auditEntries, expectError, storedCustomer, uniqueEmail } from './support/stax';

const FULL = {
  firstname: 'John',
  lastname: 'Smith',
  company: 'Acme Corp',
  cc_emails: ['billing@example.com'],
  cc_sms: ['15555550123'],
  phone: '+1 (555) 555-0123',
  address_1: '123 Main St',
  address_2: 'Suite 100',
  address_city: 'Orlando',
  address_state: 'FL',
  address_zip: '32801',
  address_country: 'USA',
  notes: 'VIP',
  reference: 'CRM-0042',
  options: { tier: 'gold' },
  allow_invoice_credit_card_payments: false,
};

describe('Stax: PUT /customer/{id}', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('get-then-merge', () => {
    it('changes only the fields sent; absent fields keep their values', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ firstname: 'Jane' })
        .expect(200);
      expect(res.body).toEqual({ ...c, firstname: 'Jane', updated_at: res.body.updated_at });
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(res.body);
    });

    it('updates every writable field in one request', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const next = {
        firstname: 'Ana',
        lastname: 'Lopez',
        company: 'Globex',
        email: uniqueEmail('ana'),
        cc_emails: ['a@example.com', 'b@example.com'],
        cc_sms: ['4477009001234'],
        phone: '+44 20 7946 0958',
        address_1: '1 High St',
        address_2: 'Flat 2',
        address_city: 'London',
        address_state: 'LDN',
        address_zip: 'SW1A 1AA',
        address_country: 'gbr',
        notes: 'n2',
        reference: 'R-2',
        options: { a: 1 },
        allow_invoice_credit_card_payments: false,
      };
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send(next).expect(200);
      expect(res.body).toMatchObject({ ...next, address_country: 'GBR', has_address: true });
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(res.body);
    });

    it('replaces options and lists as a whole (no deep merge)', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { options: { a: 1, b: 2 }, cc_emails: ['x@example.com'] });
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ options: { c: 3 }, cc_emails: ['y@example.com'] })
        .expect(200);
      expect(res.body.options).toEqual({ c: 3 });
      expect(res.body.cc_emails).toEqual(['y@example.com']);
    });

    it('sets updated_at and a new ETag on a real change, and keeps created_at', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const before = await storedCustomer(t, c.id);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ lastname: 'Other' })
        .expect(200);
      expect(res.headers['etag']).toBe('"2"');
      expect(res.body.created_at).toBe(c.created_at);
      const after = await storedCustomer(t, c.id);
      expect(after.version).toBe(before.version + 1);
      expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime());
      expect(after.created_at.getTime()).toBe(before.created_at.getTime());
    });

    it('applies lower-case address_country upper case and refuses alpha-2 with a hint', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const ok = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ address_country: 'can' })
        .expect(200);
      expect(ok.body.address_country).toBe('CAN');
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ address_country: 'CA' });
      expectError(res, 400, 'did you mean CAN?');
      expect((await storedCustomer(t, c.id)).address_country).toBe('CAN');
    });

    it('validates the fields sent, and a refused update changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { phone: '5555550123' });
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ firstname: 'Changed', phone: '123', cc_sms: ['1'] });
      expectError(res, 400);
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(c);
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
    });
  });

  describe('clearing fields', () => {
    it('an empty string clears an optional field (stored as null)', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ notes: '', phone: '', address_country: '', company: '', address_1: '' })
        .expect(200);
      expect(res.body).toMatchObject({
        notes: null,
        phone: null,
        address_country: null,
        company: null,
        address_1: null,
        has_address: false,
        missing_address_components: ['address_1'],
      });
      const stored = await storedCustomer(t, c.id);
      expect(stored).toMatchObject({ notes: null, phone: null, address_country: null, company: null });
    });

    it('null clears an optional field', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ reference: null, options: null, cc_emails: null, cc_sms: null, email: null })
        .expect(200);
      expect(res.body).toMatchObject({
        reference: null,
        options: null,
        cc_emails: [],
        cc_sms: [],
        email: null,
        gravatar: false,
      });
      const stored = await storedCustomer(t, c.id);
      expect(stored).toMatchObject({ reference: null, options: null, email: null, email_key: null });
    });

    it('an empty list clears cc_emails and cc_sms', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ cc_emails: [], cc_sms: [] })
        .expect(200);
      expect(res.body).toMatchObject({ cc_emails: [], cc_sms: [] });
    });

    it('clearing an email frees it for another customer', async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail();
      const c = await createStaxCustomer(t, m, { email });
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ email: '' }).expect(200);
      await createStaxCustomer(t, m, { email });
    });
    it('the email key follows the email, and an update that keeps the email does not write it', async () => {
      const m = await newMerchant(t);
      const first = uniqueEmail('first');
      const second = uniqueEmail('second');
      const c = await createStaxCustomer(t, m, { email: first });
      // Record the UPDATEs each write's transaction sends (SQLite rewrites a unique index entry
      // set to its own value: the column is left out unless it changes).
      const db = t.app.get(DatabaseService);
      const updates: string[] = [];
      const transaction = db.transaction.bind(db);
      const spy = jest.spyOn(db, 'transaction').mockImplementation((fn, options) =>
        transaction((tx) => {
          const defer = tx.defer.bind(tx);
          tx.defer = (sql, params) => {
            if (sql.startsWith('UPDATE "customers"') || sql.startsWith('UPDATE `customers`'))
              updates.push(sql);
            defer(sql, params);
          };
          return fn(tx);
        }, options),
      );
      try {
        await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'Jo' }).expect(200);
        await http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ email: second.toUpperCase() })
          .expect(200);
      } finally {
        spy.mockRestore();
      }
      expect(updates).toHaveLength(2);
      expect(updates[0]).not.toMatch(/email_key/);
      expect(updates[1]).toMatch(/email_key/);
      expect((await storedCustomer(t, c.id)).email_key).toBe(second.toLowerCase());
      // The old address is free, the new one taken (in any case).
      await createStaxCustomer(t, m, { email: first });
      const taken = await http(t).post('/customer').set(m.bearer).send({ email: second });
      expect(taken.status).toBe(409);
    });
  });

  describe('identity rule on the merged result', () => {
    it('refuses clearing the last identity field (400) and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { firstname: 'Only', lastname: null, email: null });
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: '' });
      expectError(res, 400, 'Customer requires at least one of firstname, lastname, email or company');
      const again = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ firstname: null, notes: 'x' });
      expectError(again, 400, 'Customer requires at least one of firstname, lastname, email or company');
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(c);
    });

    it('allows clearing one identity field while another stays set', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, {
        firstname: 'A',
        lastname: null,
        email: null,
        company: 'Co',
      });
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: '' }).expect(200);
      expect(res.body).toMatchObject({ firstname: null, company: 'Co' });
    });

    it('allows swapping identity fields in one request', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { firstname: 'A', lastname: null, email: null });
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ firstname: '', company: 'NewCo' })
        .expect(200);
      expect(res.body).toMatchObject({ firstname: null, company: 'NewCo' });
    });
  });

  describe('read-only fields', () => {
    it('GET then PUT of the whole body back succeeds and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      const before = await storedCustomer(t, c.id);
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send(got.body).expect(200);
      expect(res.body).toEqual(got.body);
      expect(res.headers['etag']).toBe(got.headers['etag']);
      const after = await storedCustomer(t, c.id);
      expect(after.updated_at.getTime()).toBe(before.updated_at.getTime());
      expect(after.version).toBe(before.version);
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
    });

    it('GET then PUT back of a customer with few fields set also succeeds', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, {
        firstname: null,
        lastname: null,
        email: null,
        company: 'Co',
      });
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send(got.body).expect(200);
      expect(res.body).toEqual(got.body);
    });

    it('read-only fields with other values are ignored', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({
          id: c.id,
          created_at: '2000-01-01 00:00:00',
          updated_at: '2000-01-01 00:00:00',
          deleted_at: '2000-01-01 00:00:00',
          gravatar: '//evil.example/x',
          has_address: true,
          missing_address_components: [],
        })
        .expect(200);
      expect(res.body).toEqual(c);
      expect(res.headers['etag']).toBe('"1"');
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
    });

    it('GET then PUT back with the Stax fields merchant_id (ours) and files (empty) changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      const before = await storedCustomer(t, c.id);
      for (const merchantId of [m.merchantId, m.merchantId.toUpperCase()]) {
        const res = await http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ ...got.body, merchant_id: merchantId, files: [] })
          .expect(200);
        expect(res.body).toEqual(got.body);
      }
      expect((await storedCustomer(t, c.id)).version).toBe(before.version);
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
      // A create may carry them too, as a copied customer would.
      await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({ company: 'Copy', merchant_id: m.merchantId, files: [] })
        .expect(200);
    });

    it.each([
      [
        'another merchant id in merchant_id',
        'other',
        'merchant_id in the body must be the merchant id of your API key',
      ],
      [
        'a random uuid in merchant_id',
        randomUUID(),
        'merchant_id in the body must be the merchant id of your API key',
      ],
      ['null in merchant_id', null, 'merchant_id must be a string'],
      ['a number in merchant_id', 42, 'merchant_id must be a string'],
    ])('refuses %s (400, one precise message) and changes nothing', async (_label, value, message) => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const merchantId = value === 'other' ? other.merchantId : value;
      for (const req of [
        http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ merchant_id: merchantId, firstname: 'Changed' }),
        http(t).post('/customer').set(m.bearer).send({ merchant_id: merchantId, firstname: 'New' }),
      ]) {
        const res = await req;
        expectError(res, 400);
        expect(res.body.message).toEqual([message]);
      }
      expect((await storedCustomer(t, c.id)).firstname).toBe('John');
    });

    it.each([
      [
        'a file',
        [{ id: randomUUID(), name: 'contract.pdf' }],
        'files must be empty: this service keeps no files for a customer',
      ],
      ['null', null, 'files must be an array'],
      ['an object', {}, 'files must be an array'],
    ])(
      'refuses files that is %s (400, one precise message) and changes nothing',
      async (_label, files, message) => {
        const m = await newMerchant(t);
        const c = await createStaxCustomer(t, m);
        const res = await http(t)
          .put(`/customer/${c.id}`)
          .set(m.bearer)
          .send({ files, firstname: 'Changed' });
        expectError(res, 400);
        expect(res.body.message).toEqual([message]);
        expect((await storedCustomer(t, c.id)).firstname).toBe('John');
      },
    );

    it('accepts the body id in another letter case', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ id: c.id.toUpperCase(), firstname: 'Up' })
        .expect(200);
    });

    it.each([
      ['another uuid', randomUUID()],
      ['a number', 42],
      ['null', null],
      ['an empty string', ''],
    ])('refuses a body id that is %s (400) and changes nothing', async (_label, id) => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ id, firstname: 'Changed' });
      expectError(res, 400, 'id in the body must match the customer id in the path');
      expect((await storedCustomer(t, c.id)).firstname).toBe('John');
    });
  });

  it('refuses unknown fields (400) and changes nothing', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'Changed', foo: 1 });
    expectError(res, 400);
    expect(res.body.message).toEqual(['property foo should not exist']);
    expect((await storedCustomer(t, c.id)).firstname).toBe('John');
  });

  describe('no-op update', () => {
    it('answers 200 with the current customer, writes nothing, no audit entry, same updated_at and ETag', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, FULL);
      const before = await storedCustomer(t, c.id);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({
          firstname: c.firstname,
          options: { tier: 'gold' },
          address_country: 'usa',
          cc_emails: c.cc_emails,
          allow_invoice_credit_card_payments: false,
        })
        .expect(200);
      expect(res.body).toEqual(c);
      expect(res.headers['etag']).toBe('"1"');
      const after = await storedCustomer(t, c.id);
      expect(after.updated_at.getTime()).toBe(before.updated_at.getTime());
      expect(after.version).toBe(before.version);
      const entries = await auditEntries(t, m, c.id);
      expect(entries.map((e) => e.action)).toEqual(['customer.created']);
    });

    it('an empty body is a no-op', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({}).expect(200);
      expect(res.body).toEqual(c);
      expect(res.headers['etag']).toBe('"1"');
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
    });

    it('clearing a field that is already empty is a no-op', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { notes: null });
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ notes: '', reference: null, cc_sms: [] })
        .expect(200);
      expect(res.headers['etag']).toBe('"1"');
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
    });

    it('an options object with the same content in another key order is a no-op', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { options: { a: 1, b: { c: 2, d: 3 } } });
      await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ options: { b: { d: 3, c: 2 }, a: 1 } })
        .expect(200);
      expect((await storedCustomer(t, c.id)).version).toBe(1);
    });
  });

  describe('not found', () => {
    it('answers 404 for a soft-deleted customer and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'Ghost' });
      expectError(res, 404, 'Customer not found');
      expect((await storedCustomer(t, c.id)).firstname).toBe('John');
    });

    it('answers 404 for an unknown id', async () => {
      const m = await newMerchant(t);
      const res = await http(t).put(`/customer/${randomUUID()}`).set(m.bearer).send({ firstname: 'X' });
      expectError(res, 404, 'Customer not found');
    });

    it('answers 400 for a non-UUID id', async () => {
      const m = await newMerchant(t);
      const res = await http(t).put('/customer/abc').set(m.bearer).send({ firstname: 'X' });
      expectError(res, 400, 'Customer ID must be a valid UUID');
    });
  });

  describe('If-Match', () => {
    it('a stale ETag is 412 and changes nothing; the current one is 200', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const first = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('If-Match', '"1"')
        .send({ firstname: 'One' })
        .expect(200);
      expect(first.headers['etag']).toBe('"2"');

      const stale = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('If-Match', '"1"')
        .send({ firstname: 'Stale' });
      expectError(stale, 412);
      expect(stale.body.error).toBe('Precondition Failed');
      const stored = await storedCustomer(t, c.id);
      expect(stored).toMatchObject({ firstname: 'One', version: 2 });
      expect((await auditEntries(t, m, c.id)).map((e) => e.action)).toEqual([
        'customer.updated',
        'customer.created',
      ]);

      const current = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('If-Match', first.headers['etag'])
        .send({ firstname: 'Two' })
        .expect(200);
      expect(current.body.firstname).toBe('Two');
      expect(current.headers['etag']).toBe('"3"');
    });

    it('a stale If-Match is 412 even when the update would be a no-op', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'Two' }).expect(200);
      const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).set('If-Match', '"1"').send({});
      expectError(res, 412);
    });

    it('accepts a weak validator and * ', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('If-Match', 'W/"1"')
        .send({ firstname: 'Weak' })
        .expect(200);
      await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('If-Match', '*')
        .send({ firstname: 'Any' })
        .expect(200);
    });

    it('a garbage If-Match is 412, not 500', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .set('If-Match', 'not-an-etag')
        .send({ firstname: 'X' });
      expectError(res, 412);
    });
  });
});
