import { randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { auditEntries, expectError, STAX_TIMESTAMP, storedCustomer, uniqueEmail } from './support/stax';

describe('Stax: DELETE, restore and email uniqueness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('DELETE /customer/{id}', () => {
    it('soft-deletes: 200 with the customer, deleted_at set, new ETag', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { company: 'Acme' });
      const res = await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(res.body).toMatchObject({ id: c.id, firstname: 'John', company: 'Acme', email: c.email });
      expect(res.body.deleted_at).toMatch(STAX_TIMESTAMP);
      expect(res.headers['etag']).toBe('"2"');
      const stored = await storedCustomer(t, c.id);
      expect(stored.deleted_at).toBeInstanceOf(Date);
      // The row is kept: GET still answers it.
      const got = await http(t).get(`/customer/${c.id}`).set(m.bearer).expect(200);
      expect(got.body.deleted_at).toBe(res.body.deleted_at);
    });

    it('already deleted is 404', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const res = await http(t).delete(`/customer/${c.id}`).set(m.bearer);
      expectError(res, 404, 'Customer not found');
      expect((await auditEntries(t, m, c.id)).map((e) => e.action)).toEqual([
        'customer.deleted',
        'customer.created',
      ]);
    });

    it('unknown id is 404, non-UUID id is 400', async () => {
      const m = await newMerchant(t);
      expectError(await http(t).delete(`/customer/${randomUUID()}`).set(m.bearer), 404, 'Customer not found');
      expectError(
        await http(t).delete('/customer/42').set(m.bearer),
        400,
        'Customer ID must be a valid UUID',
      );
    });

    it('honours If-Match: stale is 412 and deletes nothing, current is 200', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'V2' }).expect(200);
      const stale = await http(t).delete(`/customer/${c.id}`).set(m.bearer).set('If-Match', '"1"');
      expectError(stale, 412);
      expect((await storedCustomer(t, c.id)).deleted_at).toBeNull();
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).set('If-Match', '"2"').expect(200);
    });
  });

  describe('PUT /customer/{id}/restore', () => {
    it('clears deleted_at: 200 with the customer, live again everywhere', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m, { notes: 'keep me' });
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const res = await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).expect(200);
      expect(res.body).toMatchObject({ id: c.id, deleted_at: null, notes: 'keep me', email: c.email });
      expect(res.headers['etag']).toBe('"3"');
      expect((await storedCustomer(t, c.id)).deleted_at).toBeNull();
      // Writable again, and listed again.
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ notes: 'back' }).expect(200);
      const list = await http(t).get('/customer').set(m.bearer).expect(200);
      expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
    });

    it('accepts a restore with a JSON body of {}', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).send({}).expect(200);
    });

    it('409 when its email now belongs to another live customer (any letter case); nothing changes', async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail('Restore');
      const c = await createStaxCustomer(t, m, { email });
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      await createStaxCustomer(t, m, { email: email.toUpperCase() });
      const res = await http(t).put(`/customer/${c.id}/restore`).set(m.bearer);
      expectError(res, 409, 'A customer with this email already exists');
      expect(res.body.error).toBe('Conflict');
      expect((await storedCustomer(t, c.id)).deleted_at).not.toBeNull();
      expect((await auditEntries(t, m, c.id)).map((e) => e.action)).toEqual([
        'customer.deleted',
        'customer.created',
      ]);
    });

    it('restoring a customer that is not deleted answers 200 and changes nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      const res = await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).expect(200);
      expect(res.body).toEqual(c);
      expect(res.headers['etag']).toBe('"1"');
      expect(await auditEntries(t, m, c.id)).toHaveLength(1);
    });

    it('unknown id is 404, non-UUID id is 400', async () => {
      const m = await newMerchant(t);
      expectError(
        await http(t).put(`/customer/${randomUUID()}/restore`).set(m.bearer),
        404,
        'Customer not found',
      );
      expectError(
        await http(t).put('/customer/nope/restore').set(m.bearer),
        400,
        'Customer ID must be a valid UUID',
      );
    });

    it('honours If-Match: stale is 412 and restores nothing', async () => {
      const m = await newMerchant(t);
      const c = await createStaxCustomer(t, m);
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      expectError(await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).set('If-Match', '"1"'), 412);
      expect((await storedCustomer(t, c.id)).deleted_at).not.toBeNull();
      await http(t).put(`/customer/${c.id}/restore`).set(m.bearer).set('If-Match', '"2"').expect(200);
    });
  });

  describe('email uniqueness per merchant, case-insensitive', () => {
    it('409 on create with an email a live customer has, in any letter case; nothing is stored', async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail('Dup');
      await createStaxCustomer(t, m, { email });
      for (const again of [email, email.toUpperCase(), email.toLowerCase()]) {
        const res = await http(t).post('/customer').set(m.bearer).send({ firstname: 'Second', email: again });
        expectError(res, 409, 'A customer with this email already exists');
      }
      const list = await http(t).get('/customer').set(m.bearer).query({ trashed: 'with' }).expect(200);
      expect(list.body.total).toBe(1);
    });

    it('409 on update to an email another live customer has; nothing changes', async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail();
      await createStaxCustomer(t, m, { email });
      const other = await createStaxCustomer(t, m, { firstname: 'Other' });
      const res = await http(t)
        .put(`/customer/${other.id}`)
        .set(m.bearer)
        .send({ email: email.toUpperCase(), firstname: 'Changed' });
      expectError(res, 409, 'A customer with this email already exists');
      const stored = await storedCustomer(t, other.id);
      expect(stored).toMatchObject({ email: other.email, firstname: 'Other', version: 1 });
      expect(await auditEntries(t, m, other.id)).toHaveLength(1);
    });

    it('compares beyond ASCII: letter case differs, accents make a different address', async () => {
      const m = await newMerchant(t);
      const local = `josé.${randomUUID()}`;
      await createStaxCustomer(t, m, { email: `${local}@example.com` });
      const upper = await http(t)
        .post('/customer')
        .set(m.bearer)
        .send({ firstname: 'A', email: `${local.toUpperCase()}@example.com` });
      expectError(upper, 409, 'A customer with this email already exists');
      // jose@ and josé@ are two mailboxes, not one.
      const plain = await createStaxCustomer(t, m, { email: `${local.replace('é', 'e')}@example.com` });
      expect(plain.email).toBe(`${local.replace('é', 'e')}@example.com`);
    });

    it('a customer may change the letter case of its own email', async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail('lower');
      const c = await createStaxCustomer(t, m, { email });
      const res = await http(t)
        .put(`/customer/${c.id}`)
        .set(m.bearer)
        .send({ email: email.toUpperCase() })
        .expect(200);
      expect(res.body.email).toBe(email.toUpperCase());
    });

    it("a soft-deleted customer's email can be reused", async () => {
      const m = await newMerchant(t);
      const email = uniqueEmail();
      const c = await createStaxCustomer(t, m, { email });
      await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
      const again = await createStaxCustomer(t, m, { email });
      expect(again.email).toBe(email);
      // and by an update of another customer, too
      await http(t).delete(`/customer/${again.id}`).set(m.bearer).expect(200);
      const third = await createStaxCustomer(t, m);
      await http(t).put(`/customer/${third.id}`).set(m.bearer).send({ email }).expect(200);
    });

    it('another merchant can use the same email', async () => {
      const a = await newMerchant(t);
      const b = await newMerchant(t);
      const email = uniqueEmail();
      await createStaxCustomer(t, a, { email });
      const c = await createStaxCustomer(t, b, { email });
      expect(c.email).toBe(email);
      const other = await createStaxCustomer(t, b);
      await http(t).put(`/customer/${other.id}`).set(a.bearer).send({ email }).expect(404);
    });

    it('many customers without an email may coexist', async () => {
      const m = await newMerchant(t);
      await createStaxCustomer(t, m, { email: null });
      await createStaxCustomer(t, m, { email: '' });
      await createStaxCustomer(t, m, { email: null });
    });
  });
});
