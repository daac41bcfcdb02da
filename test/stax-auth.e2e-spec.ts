import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { AuthService } from '../src/auth/auth.service';
import {
  createStaxCustomer,
  http,
  newKey,
  newMerchant,
  startApp,
  TestApp,
  TestMerchant,
} from './support/app';
import { expectError, storedCustomer, withoutRequestId } from './support/stax';

describe('Stax: authentication, scopes and tenant isolation (README: merchants and API keys)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every Stax route, called for one customer id with the given headers. */
  const ROUTES: [string, (id: string, h: Record<string, string>) => Promise<Response>][] = [
    ['GET /customer/{id}', (id, h) => http(t).get(`/customer/${id}`).set(h)],
    ['PUT /customer/{id}', (id, h) => http(t).put(`/customer/${id}`).set(h).send({ firstname: 'Intruder' })],
    ['DELETE /customer/{id}', (id, h) => http(t).delete(`/customer/${id}`).set(h)],
    ['PUT /customer/{id}/restore', (id, h) => http(t).put(`/customer/${id}/restore`).set(h)],
    ['GET /customer/{id}/audit-log', (id, h) => http(t).get(`/customer/${id}/audit-log`).set(h)],
  ];

  describe('both credential styles work', () => {
    it('Authorization: Bearer <client_secret>', async () => {
      const m = await newMerchant(t);
      const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A' }).expect(200);
      await http(t).get(`/customer/${res.body.id}`).set(m.bearer).expect(200);
      await http(t).get('/customer').set(m.bearer).expect(200);
    });

    it('x-client-key + x-client-secret', async () => {
      const m = await newMerchant(t);
      const res = await http(t).post('/customer').set(m.keyPair).send({ firstname: 'A' }).expect(200);
      await http(t).get(`/customer/${res.body.id}`).set(m.keyPair).expect(200);
      await http(t).put(`/customer/${res.body.id}`).set(m.keyPair).send({ firstname: 'B' }).expect(200);
      const list = await http(t).get('/customer').set(m.keyPair).expect(200);
      expect(list.body.total).toBe(1);
    });

    it('the Bearer scheme name is case-insensitive', async () => {
      const m = await newMerchant(t);
      await http(t).get('/customer').set('Authorization', `bearer ${m.secret}`).expect(200);
    });
  });

  describe('401', () => {
    it.each([
      ['GET /customer', () => http(t).get('/customer')],
      ['POST /customer', () => http(t).post('/customer').send({ firstname: 'A' })],
      ['GET /customer/{id}', () => http(t).get(`/customer/${randomUUID()}`)],
      ['PUT /customer/{id}', () => http(t).put(`/customer/${randomUUID()}`).send({ firstname: 'A' })],
      ['DELETE /customer/{id}', () => http(t).delete(`/customer/${randomUUID()}`)],
      ['PUT /customer/{id}/restore', () => http(t).put(`/customer/${randomUUID()}/restore`)],
      ['GET /customer/{id}/audit-log', () => http(t).get(`/customer/${randomUUID()}/audit-log`)],
    ])('%s without credentials: 401 `Missing API credentials`', async (_route, call) => {
      const res = await call();
      expectError(res, 401, 'Missing API credentials');
      expect(res.body.message).toBe('Missing API credentials');
      expect(res.body.error).toBe('Unauthorized');
    });

    it('half a v0 key pair is missing credentials, not invalid ones, on both surfaces', async () => {
      const m = await newMerchant(t);
      for (const path of ['/customer', '/api/v0/customers']) {
        const noSecret = await http(t).get(path).set({ 'x-client-key': m.clientKey });
        expectError(noSecret, 401);
        expect(noSecret.body.message).toBe('Missing API credentials: x-client-key needs x-client-secret');
        const emptySecret = await http(t)
          .get(path)
          .set({ 'x-client-key': m.clientKey, 'x-client-secret': '' });
        expect(emptySecret.body.message).toBe('Missing API credentials: x-client-key needs x-client-secret');
        const noKey = await http(t).get(path).set({ 'x-client-secret': m.secret });
        expectError(noKey, 401);
        expect(noKey.body.message).toBe('Missing API credentials: x-client-secret needs x-client-key');
        // An unknown key without a secret answers the same: nothing about the half that was sent.
        const unknown = await http(t).get(path).set({ 'x-client-key': 'ck_unknown' });
        expect(unknown.body.message).toBe(noSecret.body.message);
      }
    });

    it('refuses credentials before validating the body or the path id', async () => {
      expectError(await http(t).post('/customer').send({ foo: 1 }), 401, 'Missing API credentials');
      expectError(await http(t).get('/customer/not-a-uuid'), 401, 'Missing API credentials');
    });

    describe('invalid credentials, all answered alike', () => {
      let m: TestMerchant;
      let other: TestMerchant;
      let sameMerchantKey: TestMerchant;
      beforeAll(async () => {
        m = await newMerchant(t);
        other = await newMerchant(t);
        sameMerchantKey = await newKey(t, m.merchantId);
      });

      const cases: [string, () => Record<string, string>][] = [
        ['an unknown Bearer secret', () => ({ Authorization: `Bearer sk_${randomUUID()}` })],
        ['a Bearer client_key instead of the secret', () => ({ Authorization: `Bearer ${m.clientKey}` })],
        [
          'a Basic scheme',
          () => ({ Authorization: `Basic ${Buffer.from(`${m.clientKey}:${m.secret}`).toString('base64')}` }),
        ],
        ['Bearer without a token', () => ({ Authorization: 'Bearer ' })],
        [
          'the right key with a wrong secret',
          () => ({ 'x-client-key': m.clientKey, 'x-client-secret': 'sk_wrong' }),
        ],
        ['an unknown key', () => ({ 'x-client-key': 'ck_unknown', 'x-client-secret': m.secret })],
        [
          "a key with another merchant's secret",
          () => ({ 'x-client-key': m.clientKey, 'x-client-secret': other.secret }),
        ],
        [
          "a key with another key's secret of the same merchant",
          () => ({ 'x-client-key': m.clientKey, 'x-client-secret': sameMerchantKey.secret }),
        ],
        ['an over-long secret', () => ({ Authorization: `Bearer ${'x'.repeat(5000)}` })],
      ];

      it.each(cases)('%s: 401 `Invalid API credentials`', async (_label, headers) => {
        const res = await http(t).get('/customer').set(headers());
        expectError(res, 401);
        expect(res.body.message).toBe('Invalid API credentials');
        expect(res.text).not.toContain(m.secret);
      });

      it('a wrong secret and an unknown key get the same body', async () => {
        const wrongSecret = await http(t)
          .get('/customer')
          .set({ 'x-client-key': m.clientKey, 'x-client-secret': 'sk_wrong' });
        const unknownKey = await http(t)
          .get('/customer')
          .set({ 'x-client-key': 'ck_unknown', 'x-client-secret': 'sk_wrong' });
        expect(withoutRequestId(wrongSecret.body)).toEqual(withoutRequestId(unknownKey.body));
      });
    });

    it('a revoked key is refused at once in both styles; the merchant’s other keys still work', async () => {
      const m = await newMerchant(t);
      const spare = await newKey(t, m.merchantId);
      const c = await createStaxCustomer(t, m);
      expect(await t.app.get(AuthService).revokeKey(m.clientKey)).toBe(true);
      const bearer = await http(t).get(`/customer/${c.id}`).set(m.bearer);
      expectError(bearer, 401);
      expect(bearer.body.message).toBe('Invalid API credentials');
      expectError(await http(t).get(`/customer/${c.id}`).set(m.keyPair), 401, 'Invalid API credentials');
      expectError(await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'X' }), 401);
      await http(t).get(`/customer/${c.id}`).set(spare.bearer).expect(200);
      expect((await storedCustomer(t, c.id)).firstname).toBe('John');
    });
  });

  describe('403 on a missing scope', () => {
    it('a key with only customers:read can read but not write; nothing changes', async () => {
      const m = await newMerchant(t);
      const reader = await newKey(t, m.merchantId, ['customers:read']);
      const c = await createStaxCustomer(t, m);
      await http(t)
        .delete(`/customer/${(await createStaxCustomer(t, m)).id}`)
        .set(m.bearer)
        .expect(200);

      await http(t).get('/customer').set(reader.bearer).expect(200);
      await http(t).get(`/customer/${c.id}`).set(reader.bearer).expect(200);
      await http(t).get(`/customer/${c.id}/audit-log`).set(reader.bearer).expect(200);

      const writes: [string, () => Promise<Response>][] = [
        ['POST', () => http(t).post('/customer').set(reader.bearer).send({ firstname: 'New' })],
        ['PUT', () => http(t).put(`/customer/${c.id}`).set(reader.keyPair).send({ firstname: 'X' })],
        ['DELETE', () => http(t).delete(`/customer/${c.id}`).set(reader.bearer)],
        ['restore', () => http(t).put(`/customer/${c.id}/restore`).set(reader.bearer)],
      ];
      for (const [label, call] of writes) {
        const res = await call();
        expect({ label, status: res.status }).toEqual({ label, status: 403 });
        expectError(res, 403, 'customers:write');
        expect(res.body.error).toBe('Forbidden');
      }
      const stored = await storedCustomer(t, c.id);
      expect(stored).toMatchObject({ firstname: 'John', deleted_at: null, version: 1 });
      const list = await http(t).get('/customer').set(m.bearer).query({ trashed: 'with' }).expect(200);
      expect(list.body.total).toBe(2);
    });

    it('a key with only customers:write cannot read', async () => {
      const m = await newMerchant(t, ['customers:write']);
      const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'W' }).expect(200);
      expectError(await http(t).get('/customer').set(m.bearer), 403, 'customers:read');
      expectError(await http(t).get(`/customer/${res.body.id}`).set(m.bearer), 403, 'customers:read');
      expectError(
        await http(t).get(`/customer/${res.body.id}/audit-log`).set(m.bearer),
        403,
        'customers:read',
      );
    });
  });

  describe("tenant isolation: another merchant's customer answers exactly like one that does not exist", () => {
    it.each(ROUTES)('%s', async (_route, call) => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const theirs = await createStaxCustomer(t, other, { firstname: 'Theirs' });
      const foreign = await call(theirs.id, m.bearer);
      const missing = await call(randomUUID(), m.bearer);
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      expectError(foreign, 404, 'Customer not found');
      expect(withoutRequestId(foreign.body)).toEqual(withoutRequestId(missing.body));
      expect(Object.keys(foreign.headers).sort()).toEqual(Object.keys(missing.headers).sort());
      // The other merchant's customer is untouched.
      const stored = await storedCustomer(t, theirs.id);
      expect(stored).toMatchObject({ firstname: 'Theirs', deleted_at: null, version: 1 });
    });

    it.each(ROUTES)("%s on another merchant's soft-deleted customer", async (_route, call) => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const theirs = await createStaxCustomer(t, other);
      await http(t).delete(`/customer/${theirs.id}`).set(other.bearer).expect(200);
      const foreign = await call(theirs.id, m.keyPair);
      const missing = await call(randomUUID(), m.keyPair);
      expectError(foreign, 404, 'Customer not found');
      expect(withoutRequestId(foreign.body)).toEqual(withoutRequestId(missing.body));
      expect((await storedCustomer(t, theirs.id)).deleted_at).not.toBeNull();
    });

    it('a key of the same merchant sees the customer', async () => {
      const m = await newMerchant(t);
      const second = await newKey(t, m.merchantId);
      const c = await createStaxCustomer(t, m);
      await http(t).get(`/customer/${c.id}`).set(second.bearer).expect(200);
    });
  });
});
