/**
 * Validation messages: one per field, the one that says what to fix first (a wrong type before a
 * length), on both surfaces.
 */
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { expectError } from './support/stax';

describe('validation messages', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a number where a string belongs says "must be a string", and nothing else', async () => {
    const m = await newMerchant(t);
    const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 123 });
    expectError(res, 400);
    expect(res.body.message).toEqual(['firstname must be a string']);
  });

  it('gives one message per bad field, the type first', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const res = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .send({
        firstname: 123,
        email: `${'x'.repeat(300)}`,
        cc_emails: 'billing@example.com',
        cc_sms: [15555550123],
        address_country: 7,
        allow_invoice_credit_card_payments: 'yes',
        nickname: 'Jo',
      })
      .expect(400);
    expect([...res.body.message].sort()).toEqual(
      [
        'firstname must be a string',
        'email must be shorter than or equal to 255 characters',
        'cc_emails must be an array',
        'each value in cc_sms must be a string',
        'address_country must be a string',
        'allow_invoice_credit_card_payments must be a boolean value',
        'property nickname should not exist',
      ].sort(),
    );
  });

  it('says "must be a string" on v0 too, where an empty name is "cannot be empty"', async () => {
    const m = await newMerchant(t);
    const res = await http(t)
      .post('/api/v0/customers')
      .set(m.keyPair)
      .send({ first_name: 123, last_name: '', phone_number: 5555550100, email: 42 })
      .expect(400);
    expect([...res.body.message].sort()).toEqual(
      [
        'First name must be a string',
        'Last name cannot be empty',
        'Phone number must be a string',
        'Email must be a string',
      ].sort(),
    );
  });

  describe('query numbers', () => {
    it('accepts whole-number decimals, as float-typed SDKs send them', async () => {
      const m = await newMerchant(t);
      await createStaxCustomer(t, m);
      const v0 = await http(t).get('/api/v0/customers?take=20.0&skip=0.00').set(m.keyPair).expect(200);
      expect(v0.body).toMatchObject({ take: 20, skip: 0, total: 1 });
      const stax = await http(t).get('/customer?per_page=5.0&page=1.0').set(m.bearer).expect(200);
      expect(stax.body).toMatchObject({ per_page: 5, current_page: 1, total: 1 });
      const audit = await http(t).get('/customer').set(m.bearer).expect(200);
      const id = audit.body.data[0].id as string;
      await http(t).get(`/customer/${id}/audit-log?per_page=10.0`).set(m.bearer).expect(200);
      await http(t).get(`/api/v0/customers/${id}/audit-log?take=10.0`).set(m.keyPair).expect(200);
    });

    it.each([
      ['/api/v0/customers?take=20.5', ['take must be an integer number']],
      ['/api/v0/customers?take=abc', ['take must be an integer number']],
      ['/api/v0/customers?take=500', ['take must not be greater than 100']],
      ['/api/v0/customers?take=0.0', ['take must not be less than 1']],
      ['/api/v0/customers?take=-0', ['take must not be less than 1']],
      [
        '/api/v0/customers?take=1e1&skip=-1',
        ['skip must not be less than 0', 'take must be an integer number'],
      ],
      [
        '/customer?per_page=2.5&page=x',
        ['page must be an integer number', 'per_page must be an integer number'],
      ],
    ])('%s: one message per bad parameter', async (url, messages) => {
      const m = await newMerchant(t);
      const res = await http(t).get(url).set(m.bearer);
      expectError(res, 400);
      expect([...res.body.message].sort()).toEqual(messages);
    });
  });
});
