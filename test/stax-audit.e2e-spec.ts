import { randomUUID } from 'node:crypto';
import { createStaxCustomer, http, newKey, newMerchant, startApp, TestApp } from './support/app';
import { auditEntries, expectError, STAX_TIMESTAMP, uniqueEmail, withoutRequestId } from './support/stax';

describe('Stax: GET /customer/{id}/audit-log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('records created, updated, deleted and restored, newest first, with request ids and actor', async () => {
    const m = await newMerchant(t);
    const rid = (step: string) => `audit-${step}-${randomUUID()}`;
    const ids = { create: rid('create'), update: rid('update'), del: rid('delete'), restore: rid('restore') };

    const email = uniqueEmail();
    const created = await http(t)
      .post('/customer')
      .set(m.bearer)
      .set('x-request-id', ids.create)
      .send({ firstname: 'John', email, cc_sms: ['5555550123'] })
      .expect(200);
    const id = created.body.id as string;
    await http(t)
      .put(`/customer/${id}`)
      .set(m.bearer)
      .set('x-request-id', ids.update)
      .send({ firstname: 'Jane', lastname: 'Doe', notes: '' })
      .expect(200);
    await http(t).delete(`/customer/${id}`).set(m.bearer).set('x-request-id', ids.del).expect(200);
    await http(t).put(`/customer/${id}/restore`).set(m.bearer).set('x-request-id', ids.restore).expect(200);

    const res = await http(t).get(`/customer/${id}/audit-log`).set(m.bearer).expect(200);
    expect(res.body).toMatchObject({ current_page: 1, total: 4, from: 1, to: 4, per_page: 50, last_page: 1 });
    const entries = res.body.data as Record<string, unknown>[];
    expect(entries.map((e) => e.action)).toEqual([
      'customer.restored',
      'customer.deleted',
      'customer.updated',
      'customer.created',
    ]);
    expect(entries.map((e) => e.request_id)).toEqual([ids.restore, ids.del, ids.update, ids.create]);
    for (const e of entries) {
      expect(e).toEqual({
        id: expect.any(String),
        customer_id: id,
        action: expect.any(String),
        changes: expect.any(Object),
        actor: m.clientKey,
        request_id: expect.any(String),
        idempotency_key: null,
        created_at: expect.stringMatching(STAX_TIMESTAMP),
      });
    }
    expect(new Set(entries.map((e) => e.id)).size).toBe(4);

    const [restored, deleted, updated, createdEntry] = entries;
    // Only the fields that changed, each with from and to. lastname was null, notes was null: unchanged.
    expect(updated.changes).toEqual({
      firstname: { from: 'John', to: 'Jane' },
      lastname: { from: null, to: 'Doe' },
    });
    expect(createdEntry.changes).toEqual({
      firstname: { from: null, to: 'John' },
      email: { from: null, to: email },
      cc_sms: { from: null, to: ['5555550123'] },
    });
    expect(deleted.changes).toEqual({ deleted_at: { from: null, to: expect.any(String) } });
    expect(restored.changes).toEqual({ deleted_at: { from: expect.any(String), to: null } });
  });

  it('records the field that was cleared, from its old value to null', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m, { notes: 'old', options: { a: 1 } });
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ notes: '', options: null }).expect(200);
    const [latest] = await auditEntries(t, m, c.id);
    expect(latest.changes).toEqual({
      notes: { from: 'old', to: null },
      options: { from: { a: 1 }, to: null },
    });
  });

  it('a no-op update and a refused update write no entry', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'John' }).expect(200);
    await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: 'X', phone: '1' }).expect(400);
    await http(t)
      .put(`/customer/${c.id}`)
      .set(m.bearer)
      .set('If-Match', '"9"')
      .send({ firstname: 'X' })
      .expect(412);
    expect((await auditEntries(t, m, c.id)).map((e) => e.action)).toEqual(['customer.created']);
  });

  it("the actor is the calling key's client_key, never its secret, whichever header style", async () => {
    const m = await newMerchant(t);
    const second = await newKey(t, m.merchantId);
    const c = await createStaxCustomer(t, m);
    await http(t).put(`/customer/${c.id}`).set(second.keyPair).send({ firstname: 'ByKeyPair' }).expect(200);
    const res = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    expect(res.body.data.map((e: { actor: string }) => e.actor)).toEqual([second.clientKey, m.clientKey]);
    expect(res.text).not.toContain(m.secret);
    expect(res.text).not.toContain(second.secret);
  });

  it('generates a request_id when none was sent, and it matches the response header', async () => {
    const m = await newMerchant(t);
    const created = await http(t).post('/customer').set(m.bearer).send({ firstname: 'A' }).expect(200);
    const [entry] = await auditEntries(t, m, created.body.id);
    expect(entry.request_id).toBe(created.headers['x-request-id']);
    expect(entry.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('works for a deleted customer', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    await http(t).delete(`/customer/${c.id}`).set(m.bearer).expect(200);
    const res = await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).expect(200);
    expect(res.body.data.map((e: { action: string }) => e.action)).toEqual([
      'customer.deleted',
      'customer.created',
    ]);
  });

  it('pages with page and per_page in the Laravel envelope', async () => {
    const m = await newMerchant(t);
    const c = await createStaxCustomer(t, m);
    for (const name of ['B', 'C', 'D']) {
      await http(t).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: name }).expect(200);
    }
    const res = await http(t)
      .get(`/customer/${c.id}/audit-log`)
      .set(m.bearer)
      .query({ per_page: 3, page: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      current_page: 2,
      per_page: 3,
      total: 4,
      last_page: 2,
      from: 4,
      to: 4,
      next_page_url: null,
      path: `${t.url}/customer/${c.id}/audit-log`,
    });
    expect(res.body.prev_page_url).toBe(`${t.url}/customer/${c.id}/audit-log?per_page=3&page=1`);
    expect(res.body.data.map((e: { action: string }) => e.action)).toEqual(['customer.created']);
    expectError(
      await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).query({ per_page: 0 }),
      400,
      'per_page must not be less than 1',
    );
    expectError(
      await http(t).get(`/customer/${c.id}/audit-log`).set(m.bearer).query({ page: 'x' }),
      400,
      'page must be an integer number',
    );
  });

  it("is 404 for an unknown customer and for another merchant's customer, with the same body", async () => {
    const m = await newMerchant(t);
    const other = await newMerchant(t);
    const theirs = await createStaxCustomer(t, other);
    const unknown = await http(t).get(`/customer/${randomUUID()}/audit-log`).set(m.bearer);
    const foreign = await http(t).get(`/customer/${theirs.id}/audit-log`).set(m.bearer);
    expectError(unknown, 404, 'Customer not found');
    expectError(foreign, 404);
    expect(withoutRequestId(foreign.body)).toEqual(withoutRequestId(unknown.body));
  });

  it('is 400 for a non-UUID id', async () => {
    const m = await newMerchant(t);
    expectError(
      await http(t).get('/customer/xyz/audit-log').set(m.bearer),
      400,
      'Customer ID must be a valid UUID',
    );
  });
});
