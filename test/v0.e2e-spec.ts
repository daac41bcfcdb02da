import { randomUUID } from 'node:crypto';
import {
  createStaxCustomer,
  http,
  newKey,
  newMerchant,
  startApp,
  TestApp,
  TestMerchant,
} from './support/app';

const phone = '+1-987-654-3210';

async function createV0(t: TestApp, m: TestMerchant, body: Record<string, unknown> = {}) {
  const res = await http(t)
    .post('/api/v0/customers')
    .set(m.keyPair)
    .send({ first_name: 'John', last_name: 'Smith', phone_number: phone, ...body })
    .expect(201);
  return res.body as Record<string, unknown> & { id: string };
}

describe('v0 surface (/api/v0/customers)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST', () => {
    it('creates with 201 and the v0 view', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/api/v0/customers')
        .set(m.keyPair)
        .send({ first_name: 'John', last_name: 'Smith', phone_number: phone, email: 'John@Example.com' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        first_name: 'John',
        last_name: 'Smith',
        email: 'John@Example.com',
        phone_number: phone,
        customer_type: 'Individual',
        status: 'ACTIVE',
        last_spent: 0,
        last_purchase_date: null,
        appId: m.merchantId,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: res.body.createdAt,
      });
      expect(res.headers['etag']).toBe('"1"');
    });

    it('requires first_name, last_name and phone_number', async () => {
      const m = await newMerchant(t);
      const res = await http(t).post('/api/v0/customers').set(m.keyPair).send({}).expect(400);
      expect(res.body.message).toEqual(
        expect.arrayContaining([
          'First name is required',
          'Last name is required',
          'Phone number is required',
        ]),
      );
    });

    it('refuses bad customer_type and status with the contract messages', async () => {
      const m = await newMerchant(t);
      const res = await http(t)
        .post('/api/v0/customers')
        .set(m.keyPair)
        .send({ first_name: 'A', last_name: 'B', phone_number: phone, customer_type: 'Huge', status: 'GONE' })
        .expect(400);
      expect(res.body.message).toEqual(
        expect.arrayContaining([
          'Customer type must be one of: Individual, Startup, Small Business, Medium Business, Enterprise, Non-Profit, Government',
          'Status must be one of: ACTIVE, BLACKLISTED, DEACTIVATED',
        ]),
      );
    });
  });

  describe('PATCH', () => {
    it('answers the contract example with its three messages and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m);
      const res = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ first_name: '', email: 'not-an-email', phone_number: '1'.repeat(21) })
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toEqual(
        expect.arrayContaining([
          'First name cannot be empty',
          'Invalid email format',
          'Phone number cannot exceed 20 characters',
        ]),
      );
      const after = await http(t).get(`/api/v0/customers/${c.id}`).set(m.keyPair).expect(200);
      expect(after.body).toEqual(c);
    });

    it.each([
      [{ last_name: '' }, 'Last name cannot be empty'],
      [{ first_name: null }, 'First name cannot be empty'],
      [{ first_name: 'x'.repeat(101) }, 'First name cannot exceed 100 characters'],
      [{ last_name: 'x'.repeat(101) }, 'Last name cannot exceed 100 characters'],
      [{ email: `${'a'.repeat(250)}@example.com` }, 'Email cannot exceed 255 characters'],
      [{ phone_number: 'call me maybe' }, 'Invalid phone number format'],
      [{ phone_number: '123' }, 'Invalid phone number format'],
      [
        { customer_type: 'individual' },
        'Customer type must be one of: Individual, Startup, Small Business, Medium Business, Enterprise, Non-Profit, Government',
      ],
      [{ status: 'active' }, 'Status must be one of: ACTIVE, BLACKLISTED, DEACTIVATED'],
      [{ firstname: 'Stax name on v0' }, 'property firstname should not exist'],
    ])('refuses %j with "%s"', async (body, message) => {
      const m = await newMerchant(t);
      const c = await createV0(t, m);
      const res = await http(t).patch(`/api/v0/customers/${c.id}`).set(m.keyPair).send(body).expect(400);
      expect(res.body.message).toContain(message);
    });

    it('changes only the fields sent, and an empty email or phone clears it', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m, { email: 'a@example.com', customer_type: 'Startup' });
      const res = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ last_name: 'Jones', email: '' })
        .expect(200);
      expect(res.body).toMatchObject({
        first_name: 'John',
        last_name: 'Jones',
        email: null,
        phone_number: phone,
        customer_type: 'Startup',
      });
      expect(res.body.updatedAt).not.toBe(c.updatedAt);
      expect(res.headers['etag']).toBe('"2"');
    });

    it('a no-op PATCH writes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m);
      const res = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ first_name: 'John' })
        .expect(200);
      expect(res.body.updatedAt).toBe(c.updatedAt);
      const log = await http(t).get(`/api/v0/customers/${c.id}/audit-log`).set(m.keyPair).expect(200);
      expect(log.body.total).toBe(1);
    });

    it('is 404 for a soft-deleted, unknown or foreign customer, and 400 for a non-UUID id', async () => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const c = await createV0(t, m);
      const foreign = await createV0(t, other);
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const deleted = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ first_name: 'X' })
        .expect(404);
      const unknown = await http(t)
        .patch(`/api/v0/customers/${randomUUID()}`)
        .set(m.keyPair)
        .send({ first_name: 'X' })
        .expect(404);
      const foreignRes = await http(t)
        .patch(`/api/v0/customers/${foreign.id}`)
        .set(m.keyPair)
        .send({ first_name: 'X' })
        .expect(404);
      for (const r of [deleted, unknown, foreignRes]) expect(r.body.message).toBe('Customer not found');
      await http(t).get(`/api/v0/customers/${c.id}`).set(m.keyPair).expect(404);
      const bad = await http(t).patch('/api/v0/customers/cust_123456').set(m.keyPair).send({}).expect(400);
      expect(bad.body.message).toEqual(['Customer ID must be a valid UUID']);
    });

    it('honours If-Match: a stale ETag is 412 and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .set('If-Match', '"1"')
        .send({ first_name: 'A' })
        .expect(200);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .set('If-Match', '"1"')
        .send({ first_name: 'B' })
        .expect(412);
      const now = await http(t).get(`/api/v0/customers/${c.id}`).set(m.keyPair).expect(200);
      expect(now.body.first_name).toBe('A');
      expect(now.headers['etag']).toBe('"2"');
    });
  });

  describe('both surfaces share one store', () => {
    it('a customer created on Stax is read and updated on v0, and back', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { firstname: 'Ann', lastname: 'Lee', phone: '5555550123' });
      const v0 = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ first_name: 'Anna', phone_number: '+44 20 7946 0958' })
        .expect(200);
      expect(v0.body).toMatchObject({
        first_name: 'Anna',
        last_name: 'Lee',
        phone_number: '+44 20 7946 0958',
      });
      const stax = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(stax.body).toMatchObject({
        firstname: 'Anna',
        lastname: 'Lee',
        phone: '+44 20 7946 0958',
        email: c.email,
      });
    });
  });

  describe('GET list', () => {
    it('pages newest first with {data, total, skip, take} and filters by status, name and email', async () => {
      const m = await newMerchant(t);
      const a = await createV0(t, m, { first_name: 'Alice', last_name: 'Zed', email: 'alice@one.test' });
      const b = await createV0(t, m, {
        first_name: 'Bob',
        last_name: 'Alison',
        email: 'bob@two.test',
        status: 'DEACTIVATED',
      });
      const c = await createV0(t, m, { first_name: 'Carol', last_name: 'King', email: 'carol@one.test' });
      const all = await http(t).get('/api/v0/customers').set(m.keyPair).expect(200);
      expect(all.body).toMatchObject({ total: 3, skip: 0, take: 10 });
      expect(all.body.data.map((x: { id: string }) => x.id)).toEqual([c.id, b.id, a.id]);

      const page = await http(t).get('/api/v0/customers?skip=1&take=1').set(m.keyPair).expect(200);
      expect(page.body).toMatchObject({ total: 3, skip: 1, take: 1 });
      expect(page.body.data.map((x: { id: string }) => x.id)).toEqual([b.id]);

      expect(all.body.total_relation).toBe('eq');
      // name: the start of the first name, the last name, or "first last"; never the middle.
      const byName = await http(t).get('/api/v0/customers?name=ALI').set(m.keyPair).expect(200);
      expect(byName.body.data.map((x: { id: string }) => x.id).sort()).toEqual([a.id, b.id].sort());
      const full = await http(t).get('/api/v0/customers?name=carol%20k').set(m.keyPair).expect(200);
      expect(full.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
      const middle = await http(t).get('/api/v0/customers?name=lison').set(m.keyPair).expect(200);
      expect(middle.body.data).toEqual([]);
      // email: the whole address, in any case; a part of it matches nothing.
      const byEmail = await http(t).get('/api/v0/customers?email=CAROL@One.test').set(m.keyPair).expect(200);
      expect(byEmail.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
      const part = await http(t).get('/api/v0/customers?email=one.test').set(m.keyPair).expect(200);
      expect(part.body.data).toEqual([]);
      const byStatus = await http(t).get('/api/v0/customers?status=DEACTIVATED').set(m.keyPair).expect(200);
      expect(byStatus.body.data.map((x: { id: string }) => x.id)).toEqual([b.id]);
    });

    it.each(['skip=-1', 'skip=10001', 'take=0', 'take=101', 'take=abc', 'status=gone', 'sort=name'])(
      'refuses %s with 400',
      async (query) => {
        const m = await newMerchant(t);
        const res = await http(t).get(`/api/v0/customers?${query}`).set(m.keyPair).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      },
    );

    it('leaves out soft-deleted customers and other merchants', async () => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const keep = await createV0(t, m);
      const gone = await createV0(t, m);
      await createV0(t, other);
      await http(t).delete(`/customer/${gone.id}`).set(m.bearer).expect(200);
      const res = await http(t).get('/api/v0/customers').set(m.keyPair).expect(200);
      expect(res.body.data.map((x: { id: string }) => x.id)).toEqual([keep.id]);
      expect(res.body.total).toBe(1);
    });
  });

  describe('unique emails (per merchant, live customers, case-insensitive)', () => {
    it('409 on create and on update, on both surfaces; another merchant may use the email', async () => {
      const m = await newMerchant(t);
      const other = await newMerchant(t);
      const email = `dup.${randomUUID()}@example.com`;
      const first = await createV0(t, m, { email });
      await http(t)
        .post('/api/v0/customers')
        .set(m.keyPair)
        .send({ first_name: 'A', last_name: 'B', phone_number: phone, email: email.toUpperCase() })
        .expect(409);
      await http(t).post('/customer').set(m.bearer).send({ email: email.toUpperCase() }).expect(409);
      const second = await createV0(t, m);
      const conflict = await http(t)
        .patch(`/api/v0/customers/${second.id}`)
        .set(m.keyPair)
        .send({ email })
        .expect(409);
      expect(conflict.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        message: 'A customer with this email already exists',
      });
      await http(t).put(`/customer/${second.id}`).set(m.bearer).send({ email }).expect(409);
      await createV0(t, other, { email });
      // The conflicting writes changed nothing.
      const unchanged = await http(t).get(`/api/v0/customers/${second.id}`).set(m.keyPair).expect(200);
      expect(unchanged.body.email).toBeNull();
      expect(first.email).toBe(email);
    });

    it("a soft-deleted customer's email can be reused, and restoring it into the conflict is 409", async () => {
      const m = await newMerchant(t);
      const email = `reuse.${randomUUID()}@example.com`;
      const old = await createV0(t, m, { email });
      await http(t).delete(`/customer/${old.id}`).set(m.bearer).expect(200);
      await createV0(t, m, { email: email.toUpperCase() });
      const res = await http(t).put(`/customer/${old.id}/restore`).set(m.bearer).expect(409);
      expect(res.body.message).toBe('A customer with this email already exists');
      const still = await http(t).get(`/customer/${old.id}`).set(m.bearer).expect(200);
      expect(still.body.deleted_at).not.toBeNull();
    });
  });

  describe('status rules', () => {
    it('a status change writes customer.status_changed besides customer.updated', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ status: 'BLACKLISTED', last_name: 'X' })
        .expect(200);
      const log = await http(t).get(`/api/v0/customers/${c.id}/audit-log`).set(m.keyPair).expect(200);
      expect(log.body).toMatchObject({ total: 3, skip: 0, take: 10 });
      expect(log.body.data.map((e: { action: string }) => e.action)).toEqual([
        'customer.status_changed',
        'customer.updated',
        'customer.created',
      ]);
      expect(log.body.data[0].changes).toEqual({ status: { from: 'ACTIVE', to: 'BLACKLISTED' } });
      expect(log.body.data[1].changes).toEqual({
        status: { from: 'ACTIVE', to: 'BLACKLISTED' },
        last_name: { from: 'Smith', to: 'X' },
      });
      expect(log.body.data[0].actor).toBe(m.clientKey);
    });

    it('BLACKLISTED → ACTIVE needs customers:reactivate (403 without it, and nothing changes)', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m, { status: 'BLACKLISTED' });
      const res = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ status: 'ACTIVE' })
        .expect(403);
      expect(res.body.message).toMatch(/customers:reactivate/);
      expect((await http(t).get(`/api/v0/customers/${c.id}`).set(m.keyPair)).body.status).toBe('BLACKLISTED');
      // Other moves need no special scope.
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ status: 'DEACTIVATED' })
        .expect(200);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ status: 'BLACKLISTED' })
        .expect(200);

      const admin = await newKey(t, m.merchantId, [
        'customers:read',
        'customers:write',
        'customers:reactivate',
      ]);
      const ok = await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(admin.keyPair)
        .send({ status: 'ACTIVE' })
        .expect(200);
      expect(ok.body.status).toBe('ACTIVE');
    });
  });

  describe('audit log', () => {
    it('uses v0 field names and ISO timestamps, newest first, paged by skip/take', async () => {
      const m = await newMerchant(t);
      const c = await createV0(t, m);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ first_name: 'Jane' })
        .expect(200);
      await http(t)
        .patch(`/api/v0/customers/${c.id}`)
        .set(m.keyPair)
        .send({ phone_number: '+1 555 555 0100' })
        .expect(200);
      const res = await http(t).get(`/api/v0/customers/${c.id}/audit-log?take=2`).set(m.keyPair).expect(200);
      expect(res.body).toMatchObject({ total: 3, skip: 0, take: 2 });
      expect(res.body.data[0]).toMatchObject({
        customer_id: c.id,
        action: 'customer.updated',
        changes: { phone_number: { from: phone, to: '+1 555 555 0100' } },
        actor: m.clientKey,
        idempotency_key: null,
        createdAt: expect.stringMatching(/Z$/),
      });
      expect(res.body.data[1].changes).toEqual({ first_name: { from: 'John', to: 'Jane' } });
      const other = await newMerchant(t);
      await http(t).get(`/api/v0/customers/${c.id}/audit-log`).set(other.keyPair).expect(404);
    });
  });
});
