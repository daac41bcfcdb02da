import { createHash, randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { expectError, messagesOf, STAX_TIMESTAMP, storedCustomer, uniqueEmail } from './support/stax';

describe('Stax: POST /customer and GET /customer/{id}', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /customer', () => {
    it('answers 200 (not 201) with the full Stax customer and an ETag', async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail('Mixed.Case');
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({
          firstname: 'John',
          lastname: 'Smith',
          company: 'Acme Corp',
          email: `  ${email}  `.trim(),
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
          options: { tier: 'gold', nested: { a: [1, 2] } },
          allow_invoice_credit_card_payments: false,
        });
      expect(res.status).toBe(200);
      expect(res.headers['etag']).toBe('"1"');
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        firstname: 'John',
        lastname: 'Smith',
        company: 'Acme Corp',
        email,
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
        options: { tier: 'gold', nested: { a: [1, 2] } },
        allow_invoice_credit_card_payments: false,
        created_at: expect.stringMatching(STAX_TIMESTAMP),
        updated_at: expect.stringMatching(STAX_TIMESTAMP),
        deleted_at: null,
        gravatar: '//www.gravatar.com/avatar/' + createHash('md5').update(email.toLowerCase()).digest('hex'),
        has_address: true,
        missing_address_components: [],
      });
      // What was answered is what was stored.
      const got = await http(t).get(`/customer/${res.body.id}`).set(m.bearer).expect(200);
      expect(got.body).toEqual(res.body);
    });

    it('fills defaults: empty lists, nulls, allow_invoice_credit_card_payments true, gravatar false', async () => {
      const m = await newMerchant(t);
      const res = await http(t).post('/customer').set(m.bearer).send({ company: 'Only Co' }).expect(200);
      expect(res.body).toMatchObject({
        firstname: null,
        lastname: null,
        company: 'Only Co',
        email: null,
        cc_emails: [],
        cc_sms: [],
        phone: null,
        address_country: null,
        options: null,
        allow_invoice_credit_card_payments: true,
        deleted_at: null,
        gravatar: false,
        has_address: false,
        missing_address_components: ['address_1', 'address_city', 'address_state', 'address_zip'],
      });
    });

    it('reports which address components are missing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { address_1: '1 Road', address_zip: '12345' });
      expect(c.has_address).toBe(false);
      expect(c.missing_address_components).toEqual(['address_city', 'address_state']);
    });

    it('gives each customer a new id, ignoring an id in the body', async () => {
      const m = await newMerchant(t);
      const proposed = randomUUID();
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({
          id: proposed,
          firstname: 'A',
          created_at: '2000-01-01 00:00:00',
          deleted_at: '2000-01-01 00:00:00',
        })
        .expect(200);
      expect(res.body.id).not.toBe(proposed);
      expect(res.body.created_at).not.toBe('2000-01-01 00:00:00');
      expect(res.body.deleted_at).toBeNull();
      await http(t).get(`/customer/${proposed}`).set(m.bearer).expect(404);
    });

    it.each([
      ['firstname', { firstname: 'Ann' }],
      ['lastname', { lastname: 'Lee' }],
      ['email', { email: 'only.email@example.com' }],
      ['company', { company: 'Acme' }],
    ])('accepts a customer with only %s', async (_field, body) => {
      const m = await newMerchant(t);
      await http(t).post('/customer').set(m.bearer).send(body).expect(200);
    });

    it.each([
      ['an empty body', {}],
      ['only empty strings', { firstname: '', lastname: '', email: '', company: '' }],
      ['only blanks', { firstname: '   ', lastname: '\t' }],
      ['only nulls', { firstname: null, company: null }],
      ['only non-identity fields', { phone: '5555550123', notes: 'n', address_city: 'Orlando' }],
    ])('refuses %s with the identity rule (400) and stores nothing', async (_label, body) => {
      const m = await newMerchant(t);
      const res = await http(t).post('/customer').set(m.bearer).send(body);
      expectError(res, 400, 'Customer requires at least one of firstname, lastname, email or company');
      expect(res.body.message).toEqual([
        'Customer requires at least one of firstname, lastname, email or company',
      ]);
      const list = await http(t).get('/customer').set(m.bearer).query({ trashed: 'with' }).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('refuses an unknown field with `property foo should not exist`', async () => {
      const m = await newMerchant(t);
      const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', foo: 'bar' });
      expectError(res, 400);
      expect(res.body.message).toEqual(['property foo should not exist']);
    });

    it('refuses v0 field names on the Stax surface', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({ first_name: 'A', phone_number: '5555550123' });
      expectError(res, 400, 'property first_name should not exist');
      expect(messagesOf(res)).toContain('property phone_number should not exist');
    });

    it('lists every validation failure at once, as an array of messages', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({ firstname: 'A', email: 'not-an-email', phone: 'abc', address_country: 'US' });
      expectError(res, 400);
      const messages = messagesOf(res);
      expect(messages).toContain('email must be a valid email address');
      expect(messages.some((s) => s.startsWith('phone '))).toBe(true);
      expect(messages.some((s) => s.includes('did you mean USA?'))).toBe(true);
    });

    describe('string fields and their limits', () => {
      it.each([
        ['firstname', 255],
        ['lastname', 255],
        ['company', 255],
        ['address_1', 255],
        ['address_2', 255],
        ['address_city', 255],
        ['address_state', 64],
        ['address_zip', 16],
        ['notes', 21844],
        ['reference', 255],
      ])('%s accepts %i characters and refuses one more', async (field, max) => {
        const m = await newMerchant(t);
        const ok = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ company: 'Co', [field]: 'x'.repeat(max) })
          .expect(200);
        expect(ok.body[field]).toBe('x'.repeat(max));
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ company: 'Co', [field]: 'x'.repeat(max + 1) });
        expectError(res, 400, `${field} must be shorter than or equal to ${max} characters`);
      });

      it.each([
        'firstname',
        'lastname',
        'company',
        'email',
        'phone',
        'notes',
        'reference',
        'address_country',
      ])('%s must be a string', async (field) => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ company: field === 'company' ? undefined : 'Co', firstname: 'A', [field]: 12345 });
        expectError(res, 400, `${field} must be a string`);
      });

      it('stores an empty optional string as null', async () => {
        const m = await newMerchant(t);
        const c = await createStaxCustomer(t, m, { notes: '', address_2: '', reference: '' });
        expect(c).toMatchObject({ notes: null, address_2: null, reference: null });
      });
    });

    describe('email', () => {
      it.each(['not-an-email', 'a@', '@example.com', 'a b@example.com'])('refuses %p', async (email) => {
        const m = await newMerchant(t);
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', email });
        expectError(res, 400, 'email must be a valid email address');
      });

      it('refuses an address over 255 characters', async () => {
        const m = await newMerchant(t);
        const email = `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(10)}.com`;
        expect(email.length).toBeGreaterThan(255);
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', email });
        expectError(res, 400, 'email must be shorter than or equal to 255 characters');
      });
    });

    describe('address_country', () => {
      it('accepts lower case and stores it upper case', async () => {
        const m = await newMerchant(t);
        const c = await createStaxCustomer(t, m, { address_country: 'gbr' });
        expect(c.address_country).toBe('GBR');
        expect((await storedCustomer(t, c.id)).address_country).toBe('GBR');
      });

      it.each([
        ['US', 'USA'],
        ['us', 'USA'],
        ['GB', 'GBR'],
        ['de', 'DEU'],
      ])('refuses the alpha-2 code %p with a hint (did you mean %s?)', async (code, alpha3) => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', address_country: code });
        expectError(res, 400, `did you mean ${alpha3}?`);
      });

      it.each(['XYZ', 'USAA', 'U', '123', 'United States'])('refuses %p', async (code) => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', address_country: code });
        expectError(res, 400, 'address_country must be an ISO 3166-1 alpha-3');
      });
    });

    describe('phone', () => {
      it.each(['5555550123', '+1 (555) 555-0123', '+44 20 7946 0958', '555.555.0123', '123456789012345'])(
        'accepts %p',
        async (phone) => {
          const m = await newMerchant(t);
          const c = await createStaxCustomer(t, m, { phone });
          expect(c.phone).toBe(phone);
        },
      );

      it.each([
        ['9 digits', '555555012'],
        ['16 digits', '1234567890123456'],
        ['over 20 characters', '+1 (555) 555 - 0123 4'],
        ['letters', '555-555-CALL'],
        ['a + that is not leading', '1+5555550123'],
        ['other punctuation', '555/555/0123'],
      ])('refuses %s', async (_label, phone) => {
        const m = await newMerchant(t);
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', phone });
        expectError(res, 400);
        expect(messagesOf(res).some((s) => s.startsWith('phone '))).toBe(true);
      });
    });

    describe('cc_emails', () => {
      it('accepts up to 20 valid addresses', async () => {
        const m = await newMerchant(t);
        const list = Array.from({ length: 20 }, (_v, i) => `cc${i}@example.com`);
        const c = await createStaxCustomer(t, m, { cc_emails: list });
        expect(c.cc_emails).toEqual(list);
      });

      it('refuses 21 addresses', async () => {
        const m = await newMerchant(t);
        const list = Array.from({ length: 21 }, (_v, i) => `cc${i}@example.com`);
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', cc_emails: list });
        expectError(res, 400, 'cc_emails must contain no more than 20 elements');
      });

      it('refuses an invalid address in the list', async () => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', cc_emails: ['ok@example.com', 'nope'] });
        expectError(res, 400, 'each value in cc_emails must be a valid email address');
      });

      it('refuses a string instead of a list', async () => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', cc_emails: 'ok@example.com' });
        expectError(res, 400, 'cc_emails must be an array');
      });
    });

    describe('cc_sms', () => {
      it('accepts 10 and 15 digit numbers, up to 20 of them', async () => {
        const m = await newMerchant(t);
        const list = [
          '5555550123',
          '123456789012345',
          ...Array.from({ length: 18 }, (_v, i) => `55555501${10 + i}`),
        ];
        const c = await createStaxCustomer(t, m, { cc_sms: list });
        expect(c.cc_sms).toEqual(list);
      });

      it.each([
        ['9 digits', '555555012'],
        ['16 digits', '1234567890123456'],
        ['punctuation', '555-555-0123'],
        ['a plus sign', '+15555550123'],
      ])('refuses %s', async (_label, sms) => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', cc_sms: [sms] });
        expectError(res, 400, 'each value in cc_sms must be 10-15 digits');
      });

      it('refuses 21 numbers', async () => {
        const m = await newMerchant(t);
        const list = Array.from({ length: 21 }, (_v, i) => `55555501${10 + i}`);
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', cc_sms: list });
        expectError(res, 400, 'cc_sms must contain no more than 20 elements');
      });

      it('refuses numbers given as JSON numbers', async () => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', cc_sms: [5555550123] });
        expectError(res, 400);
      });
    });

    describe('options', () => {
      it('accepts an object up to 16 KiB as JSON and returns it as sent', async () => {
        const m = await newMerchant(t);
        const options = { blob: 'x'.repeat(16 * 1024 - '{"blob":""}'.length) };
        expect(Buffer.byteLength(JSON.stringify(options))).toBe(16 * 1024);
        const c = await createStaxCustomer(t, m, { options });
        expect(c.options).toEqual(options);
      });

      it('refuses an object over 16 KiB as JSON', async () => {
        const m = await newMerchant(t);
        const options = { blob: 'x'.repeat(16 * 1024 - '{"blob":""}'.length + 1) };
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', options });
        expectError(res, 400, 'options must be at most 16384 bytes as JSON');
      });

      it('counts bytes, not characters', async () => {
        const m = await newMerchant(t);
        // 6000 three-byte characters: 6000 characters but 18000 bytes.
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', options: { s: '€'.repeat(6000) } });
        expectError(res, 400, 'options must be at most 16384 bytes as JSON');
      });

      it.each([
        ['an array', [1, 2]],
        ['a string', 'gold'],
        ['a number', 7],
        ['a boolean', true],
      ])('refuses %s', async (_label, options) => {
        const m = await newMerchant(t);
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A', options });
        expectError(res, 400, 'options must be an object or null');
      });

      it('accepts null', async () => {
        const m = await newMerchant(t);
        const c = await createStaxCustomer(t, m, { options: null });
        expect(c.options).toBeNull();
      });
    });

    describe('allow_invoice_credit_card_payments', () => {
      it('refuses a non-boolean', async () => {
        const m = await newMerchant(t);
        const res = await http(t)
          .post('/customer')
          .set(m.bearer)
          .send({ firstname: 'A', allow_invoice_credit_card_payments: 'yes' });
        expectError(res, 400, 'allow_invoice_credit_card_payments must be a boolean value');
      });
    });
  });

  describe('GET /customer/{id}', () => {
    it('answers 200 with the customer and its ETag', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { company: 'Acme' });
      const res = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(res.body).toEqual(c);
      expect(res.headers['etag']).toBe('"1"');
    });

    it('accepts the id in upper case', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t).get(`/customer/${c.id.toUpperCase()}`).set(m.bearer).expect(200);
      expect(res.body.id).toBe(c.id);
    });

    it('also answers for a soft-deleted customer, with deleted_at set', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const res = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(res.body.id).toBe(c.id);
      expect(res.body.deleted_at).toMatch(STAX_TIMESTAMP);
      expect(res.headers['etag']).toBe('"2"');
    });

    it('answers 404 for an id that does not exist', async () => {
      const m = await newMerchant(t);
      const res = await http(t).get(`/customer/${randomUUID()}`).set(m.bearer);
      expectError(res, 404, 'Customer not found');
      expect(res.body.error).toBe('Not Found');
    });

    it.each([
      '123',
      'not-a-uuid',
      `${randomUUID()}x`,
      '00000000-0000-0000-0000-00000000000g',
      "1' OR '1'='1",
    ])('answers 400 `Customer ID must be a valid UUID` for %p', async (id) => {
      const m = await newMerchant(t);
      const res = await http(t)
        .get(`/customer/${encodeURIComponent(id)}`)
        .set(m.bearer);
      expectError(res, 400, 'Customer ID must be a valid UUID');
    });
  });
});
