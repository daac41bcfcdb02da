/**
 * x-should-retry: Stainless-generated SDKs (Devdraft's) retry 409, 429 and 5xx unless told not to.
 * Answers a retry cannot change say `false`; those that come with Retry-After say `true`.
 */
import { randomUUID } from 'node:crypto';
import { fingerprint, IdempotencyService } from '../src/idempotency/idempotency.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';

const LIMIT = 30;

describe('x-should-retry', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is false on a taken email, also when an idempotency key replays it', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    const first = await http(t)
      .post('/customer')
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ email: c.email })
      .expect(409);
    expect(first.headers['x-should-retry']).toBe('false');
    const replay = await http(t)
      .post('/customer')
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ email: c.email })
      .expect(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['x-should-retry']).toBe('false');
  });

  it('is true on an idempotency key still in flight (409 with Retry-After)', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const key = randomUUID();
    await t.app
      .get(IdempotencyService)
      .claim(m.merchantId, key, fingerprint('PUT', `/customer/${c.id}`, { company: 'A' }));
    const res = await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ company: 'A' })
      .expect(409);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.headers['x-should-retry']).toBe('true');
  });

  it('is false on 412, 422, 403, 404, 400 and 401, and absent on a success', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    const reader = await newMerchant(t, ['customers:read']);
    const key = randomUUID();
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('idempotency-key', key)
      .send({ notes: 'a' })
      .expect(200);
    const answers = [
      await http(t).put(`/customer/${c.id}`).set(m.bearer).set('If-Match', '"99"').send({ notes: 'b' }),
      await http(t).put(`/customer/${c.id}`).set(m.bearer).set('idempotency-key', key).send({ notes: 'c' }),
      await http(t).post('/customer').set(reader.bearer).send({ company: 'A' }),
      await http(t).get(`/customer/${randomUUID()}`).set(m.bearer),
    ];
    expect(answers.map((r) => [r.status, r.headers['x-should-retry']])).toEqual([
      [412, 'false'],
      [422, 'false'],
      [403, 'false'],
      [404, 'false'],
    ]);
    const other = await newMerchant(t);
    const bad = await http(t).post('/customer').set(other.bearer).send({ address_country: 'US' }).expect(400);
    expect(bad.headers['x-should-retry']).toBe('false');
    const anonymous = await http(t).get('/customer').expect(401);
    expect(anonymous.headers['x-should-retry']).toBe('false');
    const foreign = await http(t).get(`/customer/${c.id}`).set(other.bearer).expect(404);
    expect(foreign.headers['x-should-retry']).toBe('false');
    const success = await http(t).get('/customer').set(other.bearer).expect(200);
    expect(success.headers['x-should-retry']).toBeUndefined();
  });

  it('is true on 429', async () => {
    const m = await newMerchant(t);
    let last;
    for (let i = 0; i <= LIMIT; i++) last = await http(t).get('/customer').set(m.bearer);
    expect(last?.status).toBe(429);
    expect(last?.headers['x-should-retry']).toBe('true');
  });
});
