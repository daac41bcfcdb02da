import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { AuditEntry } from '../src/audit/audit-entry.entity';
import { Customer } from '../src/customers/customer.entity';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';
import { expectError, withoutRequestId } from './support/stax';

/**
 * README, "Merchants and API keys": a merchant never sees another merchant's data, and another merchant's customer id
 * answers exactly as an id that does not exist. The Stax id routes are covered in
 * test/stax-auth.e2e-spec.ts; this is the v0 id routes' matrix, and both surfaces' lists.
 */
describe('tenant isolation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  /** The other merchant's customer and audit rows, exactly as stored. */
  async function snapshot(merchantId: string) {
    const ds = t.app.get(DataSource);
    return {
      customers: await ds
        .getRepository(Customer)
        .find({ where: { merchant_id: merchantId }, order: { id: 'ASC' } }),
      audit: await ds
        .getRepository(AuditEntry)
        .find({ where: { merchant_id: merchantId }, order: { seq: 'ASC' } }),
    };
  }

  type Call = (id: string, h: Record<string, string>) => Promise<Response>;
  const v0 = (id: string) => `/api/v0/customers/${id}`;

  /** v0 id routes, with bodies and headers that would each do something to a customer of one's own. */
  const V0_CALLS: [string, Call][] = [
    ['GET', (id, h) => http(t).get(v0(id)).set(h)],
    ['GET with If-None-Match', (id, h) => http(t).get(v0(id)).set(h).set('If-None-Match', '"1"')],
    ['PATCH a name', (id, h) => http(t).patch(v0(id)).set(h).send({ first_name: 'Intruder' })],
    [
      'PATCH every field',
      (id, h) =>
        http(t)
          .patch(v0(id))
          .set(h)
          .send({
            first_name: 'I',
            last_name: 'J',
            email: `x.${randomUUID()}@example.com`,
            phone_number: '+1 555 555 0199',
            customer_type: 'Enterprise',
            status: 'DEACTIVATED',
          }),
    ],
    // The other merchant's customer is BLACKLISTED and this key lacks customers:reactivate: a 403
    // instead of a 404 would tell the id exists.
    ['PATCH status BLACKLISTED → ACTIVE', (id, h) => http(t).patch(v0(id)).set(h).send({ status: 'ACTIVE' })],
    ['PATCH their own email', (id, h) => http(t).patch(v0(id)).set(h).send({ email: THEIR_EMAIL })],
    ['PATCH with an empty body', (id, h) => http(t).patch(v0(id)).set(h).send({})],
    [
      'PATCH with the matching If-Match',
      (id, h) => http(t).patch(v0(id)).set(h).set('If-Match', '"2"').send({ last_name: 'Intruder' }),
    ],
    [
      'PATCH with a stale If-Match',
      (id, h) => http(t).patch(v0(id)).set(h).set('If-Match', '"99"').send({ last_name: 'Intruder' }),
    ],
    [
      'PATCH with If-Match *',
      (id, h) => http(t).patch(v0(id)).set(h).set('If-Match', '*').send({ last_name: 'X' }),
    ],
    [
      'PATCH with an idempotency-key',
      (id, h) =>
        http(t).patch(v0(id)).set(h).set('idempotency-key', randomUUID()).send({ last_name: 'Intruder' }),
    ],
    ['PATCH with an invalid body', (id, h) => http(t).patch(v0(id)).set(h).send({ email: 'not-an-email' })],
    [
      'GET audit-log',
      (id, h) =>
        http(t)
          .get(`${v0(id)}/audit-log`)
          .set(h),
    ],
    [
      'GET audit-log with skip and take',
      (id, h) =>
        http(t)
          .get(`${v0(id)}/audit-log?skip=0&take=100`)
          .set(h),
    ],
  ];
  const THEIR_EMAIL = `theirs.${randomUUID()}@example.com`;

  /** Answers with their id and a random one, compared: same status, body (but the request id), header names. */
  async function expectSameAnswer(call: Call, theirId: string, h: Record<string, string>) {
    const foreign = await call(theirId, h);
    const missing = await call(randomUUID(), h);
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expectError(foreign, foreign.status);
    expect({ status: foreign.status, body: withoutRequestId(foreign.body) }).toEqual({
      status: missing.status,
      body: withoutRequestId(missing.body),
    });
    expect(Object.keys(foreign.headers).sort()).toEqual(Object.keys(missing.headers).sort());
    return foreign;
  }

  describe.each([
    ['live', false],
    ['soft-deleted', true],
  ])("v0 id routes on another merchant's %s customer answer as a nonexistent id", (_label, deleted) => {
    let other: TestMerchant;
    let theirId: string;

    beforeAll(async () => {
      other = await newMerchant(t, ['customers:read', 'customers:write', 'customers:reactivate']);
      const theirs = await createStaxCustomer(t, other, {
        firstname: 'Theirs',
        email: deleted ? undefined : THEIR_EMAIL,
      });
      theirId = theirs.id;
      await http(t).patch(v0(theirId)).set(other.keyPair).send({ status: 'BLACKLISTED' }).expect(200);
      if (deleted) await http(t).delete(`/customer/${theirId}`).set(other.bearer).expect(200);
    });

    it.each(V0_CALLS)('%s', async (_name, call) => {
      const m = await newMerchant(t);
      const before = await snapshot(other.merchantId);
      for (const h of [m.keyPair, m.bearer]) {
        const foreign = await expectSameAnswer(call, theirId, h);
        expect([400, 404]).toContain(foreign.status);
        // The same id, upper-cased: the path pipe lower-cases ids, so this must not slip through either.
        await expectSameAnswer(call, theirId.toUpperCase(), h);
      }
      expect(await snapshot(other.merchantId)).toEqual(before);
      // And the caller's own data did not gain anything either.
      expect((await snapshot(m.merchantId)).audit).toEqual([]);
    });
  });

  describe("lists never include another merchant's rows", () => {
    let m: TestMerchant;
    let other: TestMerchant;
    let mine: Set<string>;
    let theirs: Record<string, unknown> & { id: string };
    let theirsDeleted: Record<string, unknown> & { id: string };

    beforeAll(async () => {
      m = await newMerchant(t);
      other = await newMerchant(t);
      const tag = randomUUID().slice(0, 8);
      // Both merchants hold look-alike data, so every filter below matches rows on both sides.
      const shared = (who: string) => ({
        firstname: `Shared ${who}`,
        lastname: `Common ${tag}`,
        company: `Co ${tag} ${who}`,
        phone: '+1 555 555 0100',
        address_1: `1 Shared St ${tag}`,
        address_2: 'Suite 1',
        address_city: 'Samecity',
        address_state: 'SC',
        address_zip: '11111',
        reference: `REF-${tag}`,
        notes: `notes ${tag}`,
      });
      const own = [
        await createStaxCustomer(t, m, shared('mine')),
        await createStaxCustomer(t, m, { ...shared('mine2'), email: `mine.${tag}@example.com` }),
      ];
      const ownDeleted = await createStaxCustomer(t, m, shared('mine-deleted'));
      await http(t).delete(`/customer/${ownDeleted.id}`).set(m.bearer).expect(200);
      mine = new Set([...own, ownDeleted].map((c) => c.id));

      theirs = await createStaxCustomer(t, other, {
        ...shared('theirs'),
        email: `theirs.${tag}@example.com`,
      });
      theirsDeleted = await createStaxCustomer(t, other, shared('theirs-deleted'));
      await http(t).delete(`/customer/${theirsDeleted.id}`).set(other.bearer).expect(200);
      await http(t).patch(v0(theirs.id)).set(other.keyPair).send({ status: 'DEACTIVATED' }).expect(200);
    });

    const staxQueries = (): Record<string, string | string[]>[] => {
      const q: Record<string, string | string[]>[] = [{}, { trashed: 'with' }, { trashed: 'only' }];
      for (const f of [
        'firstname',
        'lastname',
        'company',
        'email',
        'phone',
        'address_1',
        'address_2',
        'address_city',
        'address_state',
        'address_zip',
        'reference',
      ]) {
        const value = theirs[f];
        if (typeof value !== 'string') continue;
        q.push({ [f]: value }, { [f]: value, trashed: 'with' }, { [f]: value.slice(0, 4), trashed: 'only' });
      }
      for (const k of [
        theirs.id,
        theirsDeleted.id,
        theirs.notes as string,
        'theirs',
        'shared',
        theirs.email as string,
      ]) {
        q.push(
          { 'keywords[]': k },
          { 'keywords[]': [k, 'shared'], trashed: 'with' },
          { keywords: k, trashed: 'only' },
        );
      }
      for (const sort of ['firstname', 'email', 'created_at', 'updated_at']) {
        q.push(
          { sort, order: 'ASC', trashed: 'with' },
          { sort, order: 'DESC', trashed: 'with', per_page: '1', page: '2' },
        );
      }
      return q;
    };

    it('Stax GET /customer, with every filter, keywords and trashed value, both credential styles', async () => {
      const queries = staxQueries();
      expect(queries.length).toBeGreaterThan(50);
      for (const h of [m.bearer, m.keyPair]) {
        for (const query of queries) {
          const res = await http(t)
            .get('/customer')
            .set(h)
            .query({ per_page: '200', ...query });
          expect({ query, status: res.status }).toEqual({ query, status: 200 });
          const ids: string[] = res.body.data.map((c: { id: string }) => c.id);
          expect({ query, foreign: ids.filter((id) => !mine.has(id)) }).toEqual({ query, foreign: [] });
          expect(res.body.total).toBeLessThanOrEqual(mine.size);
        }
      }
      // Searches that only their rows could match find nothing at all.
      for (const query of [
        { email: theirs.email as string },
        { 'keywords[]': theirs.id, trashed: 'with' },
        { 'keywords[]': theirsDeleted.id, trashed: 'only' },
        { firstname: 'theirs', trashed: 'with' },
      ]) {
        const res = await http(t).get('/customer').set(m.bearer).query(query).expect(200);
        expect({ query, total: res.body.total, data: res.body.data }).toEqual({ query, total: 0, data: [] });
      }
    });

    it('v0 GET /api/v0/customers, with name, email, status, skip and take', async () => {
      const queries: Record<string, string>[] = [
        {},
        { take: '100' },
        { name: 'shared' },
        { name: 'theirs' },
        { name: theirs.lastname as string },
        { email: theirs.email as string },
        { email: '@example.com' },
        { status: 'DEACTIVATED' },
        { status: 'ACTIVE', name: 'shared' },
        { skip: '1', take: '1' },
        { skip: '2', take: '100' },
      ];
      for (const h of [m.keyPair, m.bearer]) {
        for (const query of queries) {
          const res = await http(t).get('/api/v0/customers').set(h).query(query);
          expect({ query, status: res.status }).toEqual({ query, status: 200 });
          for (const c of res.body.data as { id: string; appId: string }[]) {
            expect({ query, id: c.id, appId: c.appId }).toEqual({ query, id: c.id, appId: m.merchantId });
            expect(mine.has(c.id)).toBe(true);
          }
          expect(res.body.total).toBeLessThanOrEqual(mine.size);
        }
      }
      for (const query of [
        { name: 'theirs' },
        { email: theirs.email as string },
        { status: 'DEACTIVATED' },
      ]) {
        const res = await http(t).get('/api/v0/customers').set(m.keyPair).query(query).expect(200);
        expect({ query, total: res.body.total }).toEqual({ query, total: 0 });
      }
    });

    it('the other merchant still sees exactly its own rows', async () => {
      const res = await http(t)
        .get('/customer')
        .set(other.bearer)
        .query({ trashed: 'with', per_page: 200 })
        .expect(200);
      expect(res.body.data.map((c: { id: string }) => c.id).sort()).toEqual(
        [theirs.id, theirsDeleted.id].sort(),
      );
    });
  });
});
