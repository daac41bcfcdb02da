import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';

describe('smoke: the app starts and a Stax client can create, update and read a customer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('PUT merges one field and keeps the others', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { address_country: 'usa' });
    expect(c.address_country).toBe('USA');
    const res = await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ address_country: 'GBR' }).expect(200);
    expect(res.body).toMatchObject({ id: c.id, firstname: 'John', lastname: 'Smith', address_country: 'GBR' });
    expect(res.headers['etag']).toBe('"2"');
  });
});
